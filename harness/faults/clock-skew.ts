import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type ClockSkewFault = Extract<Fault, { kind: 'clock-skew' }>;

/** Moves the target workers' injected clocks by offsetMs: leases expire without anyone waiting. */
export const clockSkew: Injector<ClockSkewFault> = {
  inject(fault, rt) {
    const targets = rt.workers(fault.target);
    for (const w of targets) w.send({ cmd: 'skew', ms: fault.offsetMs });
    rt.injected(
      `clock of ${targets.map((w) => w.id).join(', ') || 'nobody'} moved by ${fault.offsetMs} ms`,
      targets.length,
    );
  },
  fired(fault, history) {
    const acks = history.select('clock.skewed', { worker: fault.target });
    return acks.length > 0
      ? {
          fired: true,
          detail: `${acks.length} worker(s) of "${fault.target}" confirmed a clock offset of ${acks.map((a) => a.offsetMs).join(', ')} ms`,
        }
      : { fired: false, detail: `no worker of "${fault.target}" confirmed the clock skew` };
  },
};
