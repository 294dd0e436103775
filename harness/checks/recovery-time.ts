import type { CheckSpec } from '../schema.js';
import type { Check } from './check.js';

type Spec = Extract<CheckSpec, { check: 'time-to-resume' }>;

/**
 * Time to resume: from the fault's injection (its fault.injected event, e.g. the SIGKILL of a task's runner) to the
 * first step.started of the workers started in its place, their process start included. Both times are the harness's
 * receipt times, on one clock. A resumer that never started a step did not resume: that fails, it is not unknown.
 */
export const timeToResume: Check<Spec> = (spec, { history }) => {
  const injected = history.select('fault.injected', { worker: 'harness', where: { fault: spec.fault } })[0];
  if (!injected) return { valid: 'unknown', measured: `no ${spec.fault} was injected` };
  const resumed = history.select('step.started', { worker: spec.resumer }).find((e) => e.t >= injected.t);
  if (!resumed) return { valid: false, measured: `"${spec.resumer}" never started a step after the ${spec.fault}` };
  const ms = resumed.t - injected.t;
  return {
    valid: ms <= spec.maxMs,
    measured: `${ms.toFixed(0)} ms`,
    data: { resumeMs: ms },
    details: `${spec.fault} at ${injected.t.toFixed(0)}, ${resumed.worker} started ${resumed.step} at ${resumed.t.toFixed(0)}`,
  };
};
