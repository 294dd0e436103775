import type { CheckSpec } from '../schema.js';
import { finalState, type Check } from './check.js';

type Spec<K extends CheckSpec['check']> = Extract<CheckSpec, { check: K }>;

/**
 * Every checkpoint a worker acknowledged (a checkpoint.committed, or a task step's step.finished) is stored with the
 * same id and task, and with the same sequence number where the subject has them.
 */
export const acknowledgedCheckpointsPresent: Check<Spec<'acknowledged-checkpoints-present'>> = (_spec, context) => {
  const { history } = context;
  const acked = [...history.select('checkpoint.committed'), ...history.select('step.finished')];
  const stored = new Map(finalState(context).checkpoints.map((c) => [c.id, c]));
  const missing = acked.filter((a) => {
    const c = stored.get(String(a.id));
    return !c || c.taskId !== a.taskId || (a.seq !== undefined && c.seq !== a.seq);
  });
  return {
    valid: acked.length > 0 && missing.length === 0,
    measured: `${acked.length - missing.length}/${acked.length} acknowledged present`,
    ...(missing.length > 0
      ? {
          details: `missing: ${missing
            .slice(0, 10)
            .map((m) => `${m.taskId}#${m.seq ?? m.id}`)
            .join(', ')}`,
        }
      : {}),
  };
};

/** The subject's "latest" read returns the newest checkpoint, at least as new as the last acknowledged one. */
export const lastCheckpointIsLatestAcknowledged: Check<Spec<'last-checkpoint-is-latest-acknowledged'>> = (
  spec,
  context,
) => {
  const acked = context.history.select('checkpoint.committed', { where: { taskId: spec.taskId } });
  const lastAcked = Math.max(0, ...acked.map((a) => a.seq ?? 0));
  const final = finalState(context);
  const last = final.latest[spec.taskId];
  const max = Math.max(0, ...final.checkpoints.filter((c) => c.taskId === spec.taskId).map((c) => c.seq ?? 0));
  const ok = last !== undefined && last >= lastAcked && last === max && lastAcked > 0;
  return {
    valid: ok,
    measured: `getLast seq ${last ?? 'none'}, last acknowledged ${lastAcked}`,
    ...(last !== undefined && last > lastAcked
      ? { details: `${last - lastAcked} commit(s) landed after the last acknowledgement (before the kill): allowed` }
      : {}),
  };
};

/** Sequence numbers of a task (or of every task with a prefix) are exactly 1..n, each once. */
export const sequenceGapFree: Check<Spec<'sequence-gap-free'>> = (spec, context) => {
  const rows = finalState(context).checkpoints.filter((c) =>
    spec.taskId !== undefined ? c.taskId === spec.taskId : c.taskId.startsWith(spec.taskIdPrefix ?? ''),
  );
  const byTask = new Map<string, number[]>();
  // Appended in place: copying the array per row made this quadratic in a task's length.
  for (const r of rows) {
    const seqs = byTask.get(r.taskId);
    if (seqs) seqs.push(r.seq ?? 0);
    else byTask.set(r.taskId, [r.seq ?? 0]);
  }
  for (const seqs of byTask.values()) seqs.sort((a, b) => a - b);
  const broken = [...byTask].filter(([, seqs]) => seqs.some((s, i) => s !== i + 1));
  const total = rows.length;
  const countOk = spec.expected === undefined || total === spec.expected;
  // No checkpoint and no expected count: nothing to judge (every writer died before its first commit), not a gap.
  if (total === 0 && spec.expected === undefined) return { valid: 'unknown', measured: 'no checkpoints to judge' };
  return {
    valid: broken.length === 0 && countOk && total > 0,
    measured: `${total}${spec.expected !== undefined ? `/${spec.expected}` : ''} checkpoints in ${byTask.size} task(s), ${broken.length === 0 ? 'gap-free' : `${broken.length} task(s) with gaps`}`,
    ...(broken.length > 0
      ? { details: `first broken task: ${broken[0]?.[0]}: ${broken[0]?.[1].slice(0, 20).join(',')}` }
      : {}),
  };
};

/** The storage's own consistency check (PRAGMA integrity_check; amcheck on PostgreSQL) reports ok. */
export const integrityOk: Check<Spec<'integrity-ok'>> = (_spec, context) => {
  const result = finalState(context).integrity;
  return { valid: result.length === 1 && result[0] === 'ok', measured: result.slice(0, 3).join('; ') };
};
