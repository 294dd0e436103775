import { CheckpointManager } from '../../src/core/checkpoints.js';
import { LeaseManager } from '../../src/core/leases.js';
import { layerOn, type PgBenchContext } from './pg-subjects.js';
import { BENCH_STATE } from './saver-put.js';
import type { Subject } from './subjects.js';

/** Checkpoints the task holds before its commits are timed. */
export const COMMIT_GROWTH = { '10k': 10_000, '100k': 100_000, '1m': 1_000_000 } as const;
/** Pending items the queue holds while its acquisitions are timed. */
export const ACQUIRE_GROWTH = { '1k': 1_000, '100k': 100_000 } as const;
/** Items added at the tail of the queue every TOP_UP-th acquisition, so it stays within TOP_UP of its size. */
const TOP_UP = 100;

/**
 * A fresh schema whose task "bench-task" already holds `checkpoints` checkpoints of the benchmarks' state, loaded by
 * one INSERT … SELECT (a million commits would take many minutes) and analysed, as autovacuum would have after such
 * growth (it is off on the harness's servers); its next commit is number checkpoints + 1.
 */
async function commitAt(context: PgBenchContext, checkpoints: number): Promise<Subject> {
  const { db, teardown } = await layerOn(context);
  const state = JSON.stringify(BENCH_STATE).slice(0, -1);
  await db.query(
    `INSERT INTO checkpoints (task_id, seq, step, state, verified, created_at)
     SELECT 'bench-task', n, 'step', $2 || ',"i":' || n || '}', false, agentos_now_ms() FROM generate_series(1, $1) n`,
    [checkpoints, state],
  );
  await db.query(`INSERT INTO checkpoint_seqs (task_id, last) VALUES ('bench-task', $1)`, [checkpoints]);
  await db.query('ANALYZE checkpoints');
  const cm = new CheckpointManager(db);
  let i = checkpoints;
  return { run: () => cm.commit(cm.begin('bench-task', 'step', { ...BENCH_STATE, i: ++i })), teardown };
}

/**
 * A fresh schema whose queue holds `pending` items, loaded by one INSERT … SELECT and analysed; each sample is one
 * acquisition (the oldest pending item, as the lease benchmark takes it). Every TOP_UP-th sample also adds TOP_UP
 * items at the tail, so the queue keeps its depth; those samples are a hundredth of all, outside the P50.
 */
async function acquireAt(context: PgBenchContext, pending: number): Promise<Subject> {
  const { db, teardown } = await layerOn(context);
  const enqueue = (from: number, count: number) =>
    db.query(
      `INSERT INTO work_items (id, payload, created_at, updated_at)
       SELECT 'job-' || lpad(n::text, 9, '0'), 'null', agentos_now_ms(), agentos_now_ms()
       FROM generate_series($1::int, $1::int + $2::int - 1) n`,
      [from, count],
    );
  await enqueue(0, pending);
  await db.query('ANALYZE work_items');
  const leases = new LeaseManager(db, { workerId: 'bench', leaseDurationMs: 600_000 });
  let taken = 0;
  return {
    run: async () => {
      if (!(await leases.acquire())) throw new Error('the queue ran dry');
      if (++taken % TOP_UP === 0) await enqueue(pending + taken - TOP_UP, TOP_UP);
    },
    teardown,
  };
}

/** How the cost of a commit and of an acquisition grows with the work already in PostgreSQL. */
export const pgWorkGrowthSubjects = {
  'pg-commit-at-10k': (context: PgBenchContext) => commitAt(context, COMMIT_GROWTH['10k']),
  'pg-commit-at-100k': (context: PgBenchContext) => commitAt(context, COMMIT_GROWTH['100k']),
  'pg-commit-at-1m': (context: PgBenchContext) => commitAt(context, COMMIT_GROWTH['1m']),
  'pg-acquire-at-1k': (context: PgBenchContext) => acquireAt(context, ACQUIRE_GROWTH['1k']),
  'pg-acquire-at-100k': (context: PgBenchContext) => acquireAt(context, ACQUIRE_GROWTH['100k']),
} as const;
