import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckSpec } from '../schema.js';
import { STEPS_LOG } from '../workers/workloads/task-runner.js';
import { finalState, type Check } from './check.js';

type Spec<K extends CheckSpec['check']> = Extract<CheckSpec, { check: K }>;

/** The task's stored status. */
export const taskStatus: Check<Spec<'task-status'>> = (spec, context) => {
  const status = finalState(context).tasks?.[spec.taskId];
  return { valid: status === spec.status, measured: `task "${spec.taskId}" is ${status ?? 'absent'}` };
};

/**
 * A step whose checkpoint committed never ran again. steps.log lists every execution in order. A step may run twice
 * only when its first run was cut off before its commit was acknowledged; no step may have two checkpoints (a re-run
 * of a step whose commit landed unacknowledged would commit it a second time); and the checkpoints, in sequence
 * order, name the steps in their order ("step-1", "step-2", …).
 *
 * One repeat is not the layer's to prevent: a runner frozen between its lease check and a step's code (SIGSTOP, a
 * long GC pause) runs that code when it wakes, after the new owner may have run the step. What the layer promises is
 * that such a stale runner's writes are refused: its execution counts as "fenced off" when it reported losing its
 * lease and never committed the step; otherwise it is a violation.
 */
export const committedStepsNotRerun: Check<Spec<'committed-steps-not-rerun'>> = (spec, context) => {
  const { runDir, history } = context;
  const logFile = join(runDir, STEPS_LOG);
  if (!existsSync(logFile)) return { valid: false, measured: 'no step ever ran (steps.log missing)' };
  const runs = readFileSync(logFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
  const committed = finalState(context)
    .checkpoints.filter((c) => c.taskId === spec.taskId)
    .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))
    .map((c) => c.step ?? '');
  const acked = new Set(
    history.select('step.finished', { where: { taskId: spec.taskId } }).map((e) => `${e.worker} ${e.step}`),
  );
  const fencedOff = new Set(
    history.select('lease.lost', { where: { itemId: `task:${spec.taskId}` } }).map((e) => e.worker),
  );
  // For each step, the workers that ran it so far; a run after any acknowledged run of the same step is a violation.
  const ranBy = new Map<string, string[]>();
  const violations: string[] = [];
  let allowedRepeats = 0;
  let stale = 0;
  for (const [step = '', worker = ''] of runs) {
    const before = ranBy.get(step) ?? [];
    const committedBy = before.find((w) => acked.has(`${w} ${step}`));
    if (committedBy !== undefined && fencedOff.has(worker) && !acked.has(`${worker} ${step}`)) stale++;
    else if (committedBy !== undefined)
      violations.push(`${step} ran again in ${worker} after ${committedBy} committed it`);
    else if (before.length > 0) allowedRepeats++;
    ranBy.set(step, [...before, worker]);
  }
  const duplicateCommits = committed.length - new Set(committed).size;
  if (duplicateCommits > 0) violations.push(`${duplicateCommits} step(s) committed twice`);
  const outOfOrder = committed.findIndex((step, i) => step !== `step-${i + 1}`);
  if (duplicateCommits === 0 && outOfOrder >= 0)
    violations.push(`checkpoint ${outOfOrder + 1} is ${committed[outOfOrder]}, expected step-${outOfOrder + 1}`);
  return {
    valid: violations.length === 0 && committed.length > 0,
    measured: `${committed.length} checkpoints of ${new Set(committed).size} steps, ${runs.length} executions, ${allowedRepeats} re-run of an unacknowledged step, ${stale > 0 ? `${stale} by a stale runner whose writes were refused, ` : ''}${violations.length} violation(s)`,
    ...(violations.length > 0 ? { details: violations.join('; ') } : {}),
  };
};

/** Each of `files` side-effect files under dir holds exactly one line: every command's effect happened exactly once. */
export const sideEffectsExactlyOnce: Check<Spec<'side-effects-exactly-once'>> = (spec, { runDir }) => {
  const dir = join(runDir, spec.dir);
  const files = existsSync(dir) ? readdirSync(dir) : [];
  const counts = files.map((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length);
  const once = counts.filter((c) => c === 1).length;
  const more = counts.filter((c) => c > 1).length;
  return {
    valid: files.length === spec.files && once === spec.files,
    measured: `${once}/${spec.files} exactly once, ${more} more than once, ${spec.files - files.length} never`,
  };
};
