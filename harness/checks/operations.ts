import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BACKUP_FILE } from '../faults/backup.js';
import type { History } from '../history.js';
import type { CheckSpec } from '../schema.js';
import { finalState, type Check } from './check.js';

type Spec<K extends CheckSpec['check']> = Extract<CheckSpec, { check: K }>;
type Outcome = 'ok' | 'fail' | 'info';

/**
 * Each operation's outcome by token: ok or fail as its worker reported, or 'info' when the worker died between the
 * invoke and the answer (the outcome is unknown; the operation may or may not have taken effect).
 */
export function outcomes(
  history: History,
  op: 'checkpoint' | 'tool',
): Map<string, { outcome: Outcome; seq?: number; worker: string }[]> {
  const byToken = new Map<string, { outcome: Outcome; seq?: number; worker: string }[]>();
  const answered = new Map<string, { outcome: 'ok' | 'fail'; seq?: number }>();
  for (const e of history.select('op.ok', { where: { op } }))
    answered.set(`${e.worker} ${e.n}`, { outcome: 'ok', ...(e.seq !== undefined ? { seq: e.seq } : {}) });
  for (const e of history.select('op.fail', { where: { op } })) answered.set(`${e.worker} ${e.n}`, { outcome: 'fail' });
  for (const e of history.select('op.invoke', { where: { op } })) {
    const answer = answered.get(`${e.worker} ${e.n}`) ?? { outcome: 'info' as const };
    const list = byToken.get(e.token) ?? [];
    list.push({ ...answer, worker: e.worker });
    byToken.set(e.token, list);
  }
  return byToken;
}

/**
 * Checkpoint operations against the final database, each found by the token its state carries: an acknowledged
 * (ok) write is there exactly once with its sequence number; a failed one is absent; one whose outcome is unknown
 * (info) is there at most once; and nothing is there that no operation wrote.
 */
export const operationsDurable: Check<Spec<'operations-durable'>> = (_spec, context) => {
  const ops = outcomes(context.history, 'checkpoint');
  // Per token, the sequence number of each stored copy (0 for a subject without them).
  const stored = new Map<string, number[]>();
  for (const r of finalState(context).checkpoints) {
    if (r.token === undefined) continue;
    const seqs = stored.get(r.token);
    if (seqs) seqs.push(r.seq ?? 0);
    else stored.set(r.token, [r.seq ?? 0]);
  }
  const violations: string[] = [];
  const count = { ok: 0, fail: 0, info: 0 };
  for (const [token, list] of ops) {
    for (const { outcome, seq } of list) {
      count[outcome]++;
      const found = stored.get(token) ?? [];
      if (outcome === 'ok' && (found.length !== 1 || (seq !== undefined && found[0] !== seq)))
        violations.push(
          `${token} acknowledged as seq ${seq}, stored ${found.length === 0 ? 'nowhere' : `as seq ${found.join(', ')}`}`,
        );
      if (outcome === 'fail' && found.length > 0)
        violations.push(`${token} failed, yet stored as seq ${found.join(', ')}`);
      if (outcome === 'info' && found.length > 1)
        violations.push(`${token} (outcome unknown) stored ${found.length} times`);
    }
  }
  for (const token of stored.keys())
    if (!ops.has(token)) violations.push(`${token} is stored but no operation wrote it`);
  const total = count.ok + count.fail + count.info;
  if (total === 0) return { valid: 'unknown', measured: 'no checkpoint operation was recorded' };
  return {
    valid: violations.length === 0,
    data: { ...count, violations: violations.length },
    measured: `${total} checkpoint operations (${count.ok} ok, ${count.fail} failed, ${count.info} outcome unknown), ${violations.length} violation(s)`,
    ...(violations.length > 0 ? { details: violations.slice(0, 5).join('; ') } : {}),
  };
};

/**
 * Tool calls against their side-effect files (effects/<token>.log, a line per execution): no command ran more than
 * once, and every command some call returned ok for ran exactly once.
 */
export const effectsAtMostOnce: Check<Spec<'effects-at-most-once'>> = (spec, { history, runDir }) => {
  const ops = outcomes(history, 'tool');
  const violations: string[] = [];
  let ran = 0;
  for (const [token, list] of ops) {
    const file = join(runDir, spec.dir, `${token}.log`);
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
    ran += lines;
    if (lines > 1) violations.push(`${token} ran ${lines} times`);
    if (lines === 0 && list.some((o) => o.outcome === 'ok')) violations.push(`${token} returned ok but never ran`);
  }
  if (ops.size === 0) return { valid: 'unknown', measured: 'no tool operation was recorded' };
  return {
    valid: violations.length === 0,
    data: {
      calls: [...ops.values()].reduce((n, l) => n + l.length, 0),
      commands: ops.size,
      violations: violations.length,
    },
    measured: `${ops.size} commands, ${ran} executions, ${violations.length} violation(s)`,
    ...(violations.length > 0 ? { details: violations.slice(0, 5).join('; ') } : {}),
  };
};

/**
 * An online backup taken while workers wrote and died is a consistent database holding a prefix of what was
 * committed: integrity ok; every checkpoint acknowledged before the backup began is in it; each task's rows are
 * numbered 1..n without gaps and are the same rows the final database holds.
 */
export const backupConsistent: Check<Spec<'backup-consistent'>> = (_spec, { history, sqliteFile, runDir }) => {
  if (!sqliteFile) throw new Error('the subject has no SQLite file of this layer to compare the backup with');
  const file = join(runDir, BACKUP_FILE);
  const began = history.select('fault.injected', { where: { fault: 'backup' } })[0];
  // The backup fault's own vacuity guard fails the run when no backup was taken: nothing to judge here.
  if (!began || !existsSync(file)) return { valid: 'unknown', measured: 'no backup was taken' };
  const backup = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = backup.pragma('integrity_check', { simple: true });
    const rows = backup
      .prepare('SELECT id, task_id AS taskId, seq, state FROM checkpoints ORDER BY task_id, seq')
      .all() as { id: number; taskId: string; seq: number; state: string }[];
    const violations: string[] = [];
    if (integrity !== 'ok') violations.push(`integrity_check: ${String(integrity)}`);
    const final = sqliteFile.sqlite.prepare('SELECT state FROM checkpoints WHERE id = ?').pluck();
    const byTask = new Map<string, number[]>();
    for (const r of rows) {
      const seqs = byTask.get(r.taskId);
      if (seqs) seqs.push(r.seq);
      else byTask.set(r.taskId, [r.seq]);
      if (final.get(r.id) !== r.state)
        violations.push(`checkpoint ${r.id} (${r.taskId}#${r.seq}) differs from the final database's`);
    }
    for (const [taskId, seqs] of byTask) {
      if (seqs.some((s, i) => s !== i + 1))
        violations.push(`${taskId}: sequence numbers ${seqs.slice(0, 8).join(',')}… are not 1..${seqs.length}`);
    }
    const present = new Set(rows.map((r) => `${r.taskId}#${r.seq}`));
    const before = history.select('checkpoint.committed').filter((e) => e.t < began.t);
    const missing = before.filter((e) => !present.has(`${e.taskId}#${e.seq}`));
    if (missing.length > 0)
      violations.push(
        `${missing.length} checkpoint(s) acknowledged before the backup began are not in it, e.g. ${missing
          .slice(0, 3)
          .map((m) => `${m.taskId}#${m.seq}`)
          .join(', ')}`,
      );
    return {
      valid: violations.length === 0,
      data: { rows: rows.length, ackedBefore: before.length, violations: violations.length },
      measured: `backup integrity ${String(integrity)}, ${rows.length} checkpoints over ${byTask.size} task(s), ${before.length - missing.length}/${before.length} acknowledged before it present`,
      ...(violations.length > 0 ? { details: violations.slice(0, 5).join('; ') } : {}),
    };
  } finally {
    backup.close();
  }
};
