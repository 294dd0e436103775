import { CRASH_POINT_VARIABLE } from '../../src/crash-points.js';
import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type CrashPointFault = Extract<Fault, { kind: 'crash-point' }>;

/**
 * Arms a named crash point (src/crash-points.ts) in the target group's workers: each dies with SIGKILL the at-th time
 * it passes the point. Armed through the environment when a worker starts, so it needs no trigger.
 */
export const crashPoint: Injector<CrashPointFault> = {
  workerEnv(fault, worker) {
    return worker.group === fault.target || worker.id === fault.target
      ? { [CRASH_POINT_VARIABLE]: `${fault.point}:${fault.at}` }
      : undefined;
  },
  inject(fault, rt) {
    rt.injected(`crash point ${fault.point} armed at pass ${fault.at} in the workers of ${fault.target}`, 1);
  },
  fired(fault, history) {
    const reached = history
      .select('worker.stderr', { worker: fault.target })
      .filter((e) => e.text.includes(`crash point ${fault.point} reached`));
    return reached.length > 0
      ? {
          fired: true,
          detail: `${reached.length} worker(s) of "${fault.target}" died at ${fault.point} (pass ${fault.at})`,
        }
      : { fired: false, detail: `no worker of "${fault.target}" reached ${fault.point} ${fault.at} time(s)` };
  },
};
