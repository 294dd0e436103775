import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { History } from '../history.js';
import { readSurvivors, type PowerLossRecord } from '../powerloss/survivors.js';
import type { CheckSpec } from '../schema.js';
import type { HistoryEntry } from '../workers/protocol.js';
import type { Check } from './check.js';

type Spec = Extract<CheckSpec, { check: 'power-loss-tail' }>;
type Ack = Extract<HistoryEntry, { kind: 'checkpoint.committed' | 'step.finished' }>;

interface LossOutcome {
  acknowledged: number;
  lost: Ack[];
  /** Lost acknowledgements all come after (in commit order, i.e. by id) every surviving one. */
  isTail: boolean;
  integrity: string;
  oldestLostAgeMs: number | null;
  bytesDropped: number;
  text: string;
}

/**
 * Judges each power loss on the database files as they survived it (the copies in power-loss-<n>/): they open, pass
 * integrity_check, and what is missing of the commits acknowledged before the loss is only a tail in commit order
 * (no hole: nothing is lost while a later commit survives). With maxLost, at most that many may be lost per loss
 * (0 for durability 'full'). Measures how many were lost and how long before the loss the oldest of them was
 * acknowledged: what durability 'normal' costs.
 */
export const powerLossTail: Check<Spec> = (spec, { history, runDir }) => {
  const losses = readSurvivors(runDir);
  if (losses.length === 0)
    return { valid: false, measured: 'no power loss recorded (no power-loss-<n> folder in the run folder)' };
  const outcomes = losses.map(({ dir, record }) => judgeLoss(dir, record, acknowledgedBefore(history, record)));
  const problems = outcomes.flatMap((o, i) => {
    const p: string[] = [];
    if (o.acknowledged === 0) p.push(`loss ${i + 1}: nothing was acknowledged before it, so it proves nothing`);
    if (!o.isTail) p.push(`loss ${i + 1}: a hole: an acknowledged commit is lost while a later one survived`);
    if (o.integrity !== 'ok') p.push(`loss ${i + 1}: the surviving database is damaged: ${o.integrity}`);
    if (spec.maxLost !== undefined && o.lost.length > spec.maxLost)
      p.push(`loss ${i + 1}: ${o.lost.length} acknowledged commit(s) lost, at most ${spec.maxLost} allowed`);
    return p;
  });
  const lost = outcomes.map((o) => o.lost.length);
  const ages = outcomes.map((o) => o.oldestLostAgeMs).filter((a): a is number => a !== null);
  return {
    valid: problems.length === 0,
    measured: outcomes.map((o) => o.text).join('; '),
    ...(problems.length > 0 ? { details: problems.join('; ') } : {}),
    data: {
      losses: outcomes.length,
      acknowledged: outcomes.reduce((n, o) => n + o.acknowledged, 0),
      lost: lost.reduce((n, l) => n + l, 0),
      lostMax: Math.max(...lost),
      ...(ages.length > 0 ? { oldestLostAgeMs: Math.max(...ages) } : {}),
      bytesDropped: outcomes.reduce((n, o) => n + o.bytesDropped, 0),
    },
  };
};

/**
 * Acknowledgements a power loss is answerable for: those of the workers it killed and of the workers that ended
 * before it, started after the previous loss (the previous one answers for those). Whenever their events reached
 * the harness, they were sent before the kill.
 */
function acknowledgedBefore(history: History, record: PowerLossRecord): Ack[] {
  const entries = history.entries;
  const lossAt = entries
    .filter((e) => e.kind === 'fault.injected' && e.fault === 'power-loss')
    .map((e) => entries.indexOf(e));
  const at = lossAt[record.index - 1] ?? entries.length;
  const previous = record.index >= 2 ? (lossAt[record.index - 2] ?? -1) : -1;
  const killed = new Set(record.killed.map((k) => k.id));
  const answerable = new Set<string>();
  entries.forEach((e, i) => {
    if (e.kind !== 'worker.started' || i <= previous || i >= at) return;
    const exitedBefore = entries.slice(i, at).some((x) => x.kind === 'worker.exited' && x.worker === e.worker);
    if (killed.has(e.worker) || exitedBefore) answerable.add(e.worker);
  });
  const acks = entries.filter(
    (e): e is Ack => (e.kind === 'checkpoint.committed' || e.kind === 'step.finished') && answerable.has(e.worker),
  );
  return [...new Map(acks.map((a) => [a.id, a])).values()];
}

function judgeLoss(dir: string, record: PowerLossRecord, acks: Ack[]): LossOutcome {
  const survived = readSurvived(join(dir, record.database));
  const present = (a: Ack): boolean => {
    // This layer's SQLite ids: numbers (other subjects' string ids never reach a power-loss check).
    const row = survived.rows.get(Number(a.id));
    return row !== undefined && row.taskId === a.taskId && row.seq === a.seq;
  };
  const lost = acks.filter((a) => !present(a)).sort((a, b) => Number(a.id) - Number(b.id));
  const kept = acks.filter(present);
  const lastKept = Math.max(0, ...kept.map((a) => Number(a.id)));
  const isTail = lost.every((a) => Number(a.id) > lastKept);
  const oldest = lost[0];
  const oldestLostAgeMs = oldest ? Math.max(0, record.killedAtMs - oldest.t) : null;
  const bytesDropped = record.drop.bytesDropped;
  const lostText =
    lost.length === 0
      ? 'none lost'
      : `${lost.length} lost (${isTail ? 'a tail' : 'NOT a tail'}: ids ${oldest?.id}–${lost.at(-1)?.id}), the oldest acknowledged ${oldestLostAgeMs?.toFixed(0)} ms before the power loss`;
  return {
    acknowledged: acks.length,
    lost,
    isTail,
    integrity: survived.integrity,
    oldestLostAgeMs,
    bytesDropped,
    text: `power loss ${record.index}: ${acks.length} commit(s) acknowledged before it, ${lostText}; ${bytesDropped} bytes dropped; survivors: ${survived.integrity === 'ok' ? 'integrity ok' : survived.integrity}${survived.absent ? ' (no database file survived)' : ''}`,
  };
}

/** Opens a copy of the surviving files (the first open after a power loss recovers the WAL: it writes). */
function readSurvived(dbFile: string): {
  rows: Map<number, { taskId: string; seq: number }>;
  integrity: string;
  absent: boolean;
} {
  const rows = new Map<number, { taskId: string; seq: number }>();
  if (!existsSync(dbFile)) return { rows, integrity: 'ok', absent: true };
  const scratch = mkdtempSync(join(tmpdir(), 'power-loss-check-'));
  try {
    const copy = join(scratch, 'survived.db');
    copyFileSync(dbFile, copy);
    if (existsSync(`${dbFile}-wal`)) copyFileSync(`${dbFile}-wal`, `${copy}-wal`);
    let sqlite: Database.Database | undefined;
    try {
      sqlite = new Database(copy, { fileMustExist: true });
      const integrity = (sqlite.pragma('integrity_check') as { integrity_check: string }[])
        .map((r) => r.integrity_check)
        .join('; ');
      const hasTable =
        sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'").get() !== undefined;
      if (hasTable) {
        for (const r of sqlite.prepare('SELECT id, task_id, seq FROM checkpoints').all() as {
          id: number;
          task_id: string;
          seq: number;
        }[]) {
          rows.set(r.id, { taskId: r.task_id, seq: r.seq });
        }
      }
      return { rows, integrity, absent: false };
    } catch (error) {
      return {
        rows,
        integrity: `does not open: ${error instanceof Error ? error.message : String(error)}`,
        absent: false,
      };
    } finally {
      sqlite?.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
