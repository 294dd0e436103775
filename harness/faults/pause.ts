import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type PauseFault = Extract<Fault, { kind: 'pause' }>;

/** SIGSTOP the target's workers; heal sends SIGCONT (the stale lease holder that wakes up after a takeover). */
export const pause: Injector<PauseFault> = {
  inject(fault, rt) {
    const stopped = rt.workers(fault.target).filter((w) => w.signal('SIGSTOP'));
    rt.injected(`SIGSTOP sent to ${stopped.map((w) => w.id).join(', ') || 'nobody'}`, stopped.length);
  },
  heal(fault, rt) {
    const resumed = rt.workers(fault.target).filter((w) => w.paused && w.signal('SIGCONT'));
    if (resumed.length > 0) rt.healed(`SIGCONT sent to ${resumed.map((w) => w.id).join(', ')}`);
  },
  fired(fault, history, index) {
    const injected = history.select('fault.injected', { where: { fault: 'pause', target: fault.target } });
    const healed = history.select('fault.healed', { where: { fault: 'pause', target: fault.target } });
    const ok = injected.some((e) => e.affected > 0);
    return ok
      ? {
          fired: true,
          detail: `paused ${injected.map((e) => e.detail).join('; ')}; ${healed.length > 0 ? 'resumed' : 'never resumed'}`,
        }
      : { fired: false, detail: `fault #${index}: no worker of "${fault.target}" was stopped` };
  },
};
