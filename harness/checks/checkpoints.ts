import { CheckpointManager } from '../../src/index.js';
import type { CheckSpec } from '../schema.js';
import type { Check } from './check.js';

type Spec<K extends CheckSpec['check']> = Extract<CheckSpec, { check: K }>;

/**
 * Every checkpoint a worker acknowledged (a checkpoint.committed, or a task step's step.finished) is in the database
 * with the same task and seq.
 */
export const acknowledgedCheckpointsPresent: Check<Spec<'acknowledged-checkpoints-present'>> = (
  _spec,
  { history, db },
) => {
  const acked = [...history.select('checkpoint.committed'), ...history.select('step.finished')];
  const find = db.sqlite.prepare('SELECT task_id, seq FROM checkpoints WHERE id = ?');
  const missing = acked.filter((a) => {
    const row = find.get(a.id) as { task_id: string; seq: number } | undefined;
    return !row || row.task_id !== a.taskId || row.seq !== a.seq;
  });
  return {
    valid: acked.length > 0 && missing.length === 0,
    measured: `${acked.length - missing.length}/${acked.length} acknowledged present`,
    ...(missing.length > 0
      ? {
          details: `missing: ${missing
            .slice(0, 10)
            .map((m) => `${m.taskId}#${m.seq}`)
            .join(', ')}`,
        }
      : {}),
  };
};

/** getLast() (through the layer's API) returns the newest checkpoint, at least as new as the last acknowledged one. */
export const lastCheckpointIsLatestAcknowledged: Check<Spec<'last-checkpoint-is-latest-acknowledged'>> = (
  spec,
  { history, db },
) => {
  const acked = history.select('checkpoint.committed', { where: { taskId: spec.taskId } });
  const lastAcked = Math.max(0, ...acked.map((a) => a.seq));
  const last = new CheckpointManager(db).getLast(spec.taskId)?.seq;
  const max = db.sqlite.prepare('SELECT MAX(seq) FROM checkpoints WHERE task_id = ?').pluck().get(spec.taskId) as
    | number
    | null;
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
export const sequenceGapFree: Check<Spec<'sequence-gap-free'>> = (spec, { db }) => {
  const rows = (
    spec.taskId !== undefined
      ? db.sqlite
          .prepare('SELECT task_id, seq FROM checkpoints WHERE task_id = ? ORDER BY task_id, seq')
          .all(spec.taskId)
      : db.sqlite
          .prepare("SELECT task_id, seq FROM checkpoints WHERE task_id LIKE ? || '%' ESCAPE '\\' ORDER BY task_id, seq")
          .all((spec.taskIdPrefix ?? '').replace(/[\\%_]/g, '\\$&'))
  ) as { task_id: string; seq: number }[];
  const byTask = new Map<string, number[]>();
  // Appended in place: copying the array per row made this quadratic in a task's length.
  for (const r of rows) {
    const seqs = byTask.get(r.task_id);
    if (seqs) seqs.push(r.seq);
    else byTask.set(r.task_id, [r.seq]);
  }
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

/** PRAGMA integrity_check returns ok. */
export const integrityOk: Check<Spec<'integrity-ok'>> = (_spec, { db }) => {
  const result = db.integrityCheck();
  return { valid: result.length === 1 && result[0] === 'ok', measured: result.slice(0, 3).join('; ') };
};
