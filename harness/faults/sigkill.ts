import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type SigkillFault = Extract<Fault, { kind: 'sigkill' }>;

/** kill -9 of the target group's live workers (all, or one chosen by the seeded generator). */
export const sigkill: Injector<SigkillFault> = {
  inject(fault, rt) {
    const live = rt.workers(fault.target);
    const victims = fault.which === 'random' && live.length > 0 ? [live[Math.floor(rt.random() * live.length)]!] : live;
    const killed = victims.filter((w) => w.signal('SIGKILL'));
    rt.injected(
      `SIGKILL sent to ${killed.map((w) => `${w.id} (pid ${w.pid})`).join(', ') || 'nobody (no live worker)'}`,
      killed.length,
    );
  },
  fired(fault, history) {
    const deaths = history.select('worker.exited', { worker: fault.target }).filter((e) => e.signal === 'SIGKILL');
    return deaths.length > 0
      ? { fired: true, detail: `${deaths.length} worker(s) of "${fault.target}" died of SIGKILL` }
      : { fired: false, detail: `no worker of "${fault.target}" was killed by SIGKILL` };
  },
};
