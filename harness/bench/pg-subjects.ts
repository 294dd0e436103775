import { BENCH_STATE, saverPutter } from './saver-put.js';
import type { Subject } from './subjects.js';
import { unsliceable } from './slicing.js';
import { CheckpointManager } from '../../src/core/checkpoints.js';
import { LeaseManager } from '../../src/core/leases.js';

/** Drops a variant's schema; pg (and the server helpers) load only in the workers of PostgreSQL variants. */
export async function dropSchema(schema: string, pgUrl: string | undefined): Promise<void> {
  await (await import('../postgres/pg-server.js')).dropSchema(schema, pgUrl);
}

/** Where a PostgreSQL variant runs: the server (undefined: the PG* variables) of the run. */
export interface PgBenchContext {
  pgUrl: string | undefined;
  /** The variant's own schema: the subject creates and drops it, and the harness drops it too, however the variant ended. */
  schema: string;
}

/** The layer on a fresh schema of the server; dropped at teardown. */
export async function layerOn({ pgUrl, schema }: PgBenchContext, maxConnections = 4) {
  const pgLayer = await import('../../src/pg/index.js');
  const db = await pgLayer.openPgDatabase({
    ...(pgUrl !== undefined ? { connectionString: pgUrl } : {}),
    schema,
    maxConnections,
  });
  const teardown = async (): Promise<void> => {
    await db.close();
    await dropSchema(schema, pgUrl);
  };
  return { pgLayer, db, teardown };
}

/**
 * Operations on PostgreSQL the benchmarks time, with `synchronous_commit` as the server has it (on by default): every
 * commit waits for its WAL flush, as every variant of the same run does.
 */
export const pgSubjects = {
  /** The floor: one durable one-row INSERT of the same state through pg, a prepared statement. */
  'pg-insert': async (context: PgBenchContext): Promise<Subject> => {
    const { db, teardown } = await layerOn(context);
    await db.query('CREATE TABLE bench_rows (id bigserial PRIMARY KEY, task_id text NOT NULL, state text NOT NULL)');
    let i = 0;
    return {
      run: () =>
        db.query(
          'INSERT INTO bench_rows (task_id, state) VALUES ($1, $2)',
          ['bench-task', JSON.stringify({ ...BENCH_STATE, i: i++ })],
          'bench.insert',
        ),
      teardown,
    };
  },

  /** CheckpointManager on PostgreSQL: begin + commit of the same state (next sequence number and insert in one statement). */
  'pg-checkpoint-commit': async (context: PgBenchContext): Promise<Subject> => {
    const { db, teardown } = await layerOn(context);
    const cm = new CheckpointManager(db);
    let i = 0;
    return { run: () => cm.commit(cm.begin('bench-task', 'step', { ...BENCH_STATE, i: i++ })), teardown };
  },

  /** The same commit fenced by a held lease: the epoch is checked in the same statement. */
  'pg-checkpoint-commit-fenced': async (context: PgBenchContext): Promise<Subject> => {
    const { db, teardown } = await layerOn(context);
    const cm = new CheckpointManager(db);
    const leases = new LeaseManager(db, { workerId: 'bench', leaseDurationMs: 600_000 });
    await leases.enqueue([{ id: 'bench-item' }]);
    const lease = await leases.acquire('bench-item');
    if (!lease) throw new Error('could not lease bench-item');
    let i = 0;
    return {
      run: () => cm.commit(cm.begin('bench-task', 'step', { ...BENCH_STATE, i: i++ }), undefined, { lease }),
      teardown,
    };
  },

  /**
   * AgentosSaver.put of the same checkpoint on PostgreSQL: the thread's lease is held (taken at the first put), and
   * each put is one statement storing the changed channel and the checkpoint, fenced by the lease.
   */
  'pg-agentos-saver-put': async (context: PgBenchContext): Promise<Subject> => {
    const { db, teardown } = await layerOn(context);
    const { AgentosSaver } = await import('../../src/langgraph/index.js');
    return { run: await saverPutter(new AgentosSaver(db), BENCH_STATE), teardown };
  },

  /** The peer: LangGraph's PostgresSaver.put of a checkpoint holding the same state, on the same server. */
  'postgressaver-put': async ({ pgUrl, schema }: PgBenchContext): Promise<Subject> => {
    const { default: pg } = await import('pg');
    const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');
    const pool = new pg.Pool({ ...(pgUrl !== undefined ? { connectionString: pgUrl } : {}), max: 4 });
    pool.on('error', () => undefined);
    const saver = new PostgresSaver(pool, undefined, { schema });
    await saver.setup();
    return {
      run: await saverPutter(saver, BENCH_STATE),
      teardown: async () => {
        await pool.end();
        await dropSchema(schema, pgUrl);
      },
    };
  },
} as const;

/** Jobs each sample of a lease benchmark processes: a sample's mean ÷ JOBS_PER_SAMPLE is the time per job. */
export const JOBS_PER_SAMPLE = 120;
/** Jobs queued before timing: more than any variant processes in its time on this kind of machine. */
const QUEUED_JOBS = 30_000;

/** A fresh schema holding QUEUED_JOBS pending no-op jobs, and `workers` lease managers with a connection each. */
async function queueOn(context: PgBenchContext, workers: number) {
  // Two connections per worker: a pipelined worker's completion and its next acquisition are in flight together.
  const { db, teardown } = await layerOn(context, 2 * workers + 1);
  await db.query(
    `INSERT INTO work_items (id, payload, created_at, updated_at)
     SELECT 'job-' || lpad(n::text, 6, '0'), 'null', agentos_now_ms(), agentos_now_ms() FROM generate_series(1, $1) n`,
    [QUEUED_JOBS],
  );
  const managers = Array.from(
    { length: workers },
    (_, i) => new LeaseManager(db, { workerId: `bench-${i}`, leaseDurationMs: 600_000 }),
  );
  return { db, managers, teardown };
}

/** Runs `loop` on every manager at once, each for its share of JOBS_PER_SAMPLE jobs. */
function concurrently<M>(managers: M[], loop: (m: M, jobs: number) => Promise<void>): () => Promise<void> {
  return async () => {
    await Promise.all(managers.map((m) => loop(m, JOBS_PER_SAMPLE / managers.length)));
  };
}

/** Lease benchmarks: acquire → complete of no-op jobs, every completion fenced by its epoch. */
export const pgLeaseSubjects = {
  /** One worker, one job at a time: acquire, then complete. */
  'pg-lease-cycle-1': async (context: PgBenchContext): Promise<Subject> => {
    const { managers, teardown } = await queueOn(context, 1);
    return { run: concurrently(managers, cycle), teardown };
  },

  /** Four workers, one job at a time each. */
  'pg-lease-cycle-4': async (context: PgBenchContext): Promise<Subject> => {
    const { managers, teardown } = await queueOn(context, 4);
    return { run: concurrently(managers, cycle), teardown };
  },

  /** Four workers, ten jobs per statement, each batch's completion overlapping the next batch's acquisition. */
  'pg-lease-batch-4': async (context: PgBenchContext): Promise<Subject> => {
    const { managers, teardown } = await queueOn(context, 4);
    return { run: concurrently(managers, pipelined), teardown };
  },

  /** The floor, one at a time: a bare FOR UPDATE SKIP LOCKED take and an UPDATE to complete, no epoch, no log. */
  'pg-skip-locked-1': async (context: PgBenchContext): Promise<Subject> => {
    const { db, teardown } = await queueOn(context, 0);
    const take = `UPDATE work_items SET status = 'leased' WHERE id = (
      SELECT id FROM work_items WHERE status = 'pending' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    return {
      run: async () => {
        for (let i = 0; i < JOBS_PER_SAMPLE; i++) {
          const [row] = await db.query<{ id: string }>(take, [], 'bench.take');
          if (!row) throw new Error('the queue ran dry');
          await db.query("UPDATE work_items SET status = 'completed' WHERE id = $1", [row.id], 'bench.done');
        }
      },
      teardown,
    };
  },
} as const;

async function cycle(leases: LeaseManager, jobs: number): Promise<void> {
  for (let i = 0; i < jobs; i++) {
    const lease = await leases.acquire();
    if (!lease) throw new Error('the queue ran dry');
    await leases.complete(lease);
  }
}

async function pipelined(leases: LeaseManager, jobs: number): Promise<void> {
  // The previous batch's completion, which never rejects (its failure is its value), so it is never unhandled while
  // the next batch is acquired.
  let completing: Promise<Error | undefined> = Promise.resolve(undefined);
  for (let done = 0; done < jobs; ) {
    const batch = await leases.acquireBatch(Math.min(10, jobs - done));
    if (batch.length === 0) throw new Error('the queue ran dry');
    const failed = await completing;
    if (failed) throw failed;
    completing = leases.completeBatch(batch).then(
      (refused) => (refused.length > 0 ? new Error(`${refused.length} lease(s) refused`) : undefined),
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    done += batch.length;
  }
  const failed = await completing;
  if (failed) throw failed;
}

/**
 * graphile-worker on the same server, as its users run it: a runner with `concurrency` workers and a no-op task,
 * over a queue filled up front. A sample waits for the next JOBS_PER_SAMPLE `job:success` events. `best`: its local
 * queue of 10 (jobs fetched in batches) and batched completion. This favours it a little: it reports a success before
 * its completion is committed, and it keeps working between samples; our variants await every completion.
 */
async function graphileWorker({ pgUrl, schema }: PgBenchContext, concurrency: number, best: boolean): Promise<Subject> {
  const { Logger, makeWorkerUtils, run } = await import('graphile-worker');
  const { default: pg } = await import('pg');
  // A pool of our own: it follows --pg-url or the PG* variables, as every other variant does.
  const pgPool = new pg.Pool({ ...(pgUrl !== undefined ? { connectionString: pgUrl } : {}), max: concurrency + 4 });
  pgPool.on('error', () => undefined);
  const logger = new Logger(() => () => undefined);
  const cleanups: (() => Promise<unknown>)[] = [() => dropSchema(schema, pgUrl), () => pgPool.end()];
  const teardown = async (): Promise<void> => {
    // Each step runs whatever the ones before it did; the schema is dropped last.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const utils = await makeWorkerUtils({ pgPool, schema, logger });
    cleanups.push(async () => utils.release());
    await utils.migrate();
    await utils.addJobs(Array.from({ length: QUEUED_JOBS }, () => ({ identifier: 'noop', payload: {} })));
    let completed = 0;
    let waiting: { target: number; resolve: () => void } | undefined;
    const runner = await run({
      pgPool,
      schema,
      concurrency,
      noHandleSignals: true,
      logger,
      taskList: { noop: async () => undefined },
      ...(best ? { preset: { worker: { localQueue: { size: 10 }, completeJobBatchDelay: 0 } } } : {}),
    });
    cleanups.push(() => runner.stop());
    const stopped = runner.promise.then(() => {
      throw new Error('the graphile-worker runner stopped');
    });
    stopped.catch(() => undefined);
    runner.events.on('job:success', () => {
      completed++;
      if (waiting && completed >= waiting.target) {
        waiting.resolve();
        waiting = undefined;
      }
    });
    return {
      run: () => {
        if (completed + JOBS_PER_SAMPLE > QUEUED_JOBS) throw new Error('the queue ran dry');
        const sample = new Promise<void>((resolve) => {
          waiting = { target: completed + JOBS_PER_SAMPLE, resolve };
        });
        return Promise.race([sample, stopped]);
      },
      teardown,
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}

/** The peer queue, graphile-worker 0.17, measured beside the layer's leases. */
export const graphileWorkerSubjects = {
  'graphile-worker-1': unsliceable((context: PgBenchContext) => graphileWorker(context, 1, false)),
  'graphile-worker-4': unsliceable((context: PgBenchContext) => graphileWorker(context, 4, false)),
  'graphile-worker-best-4': unsliceable((context: PgBenchContext) => graphileWorker(context, 4, true)),
} as const;

/**
 * pg-boss 10 on the same server, as its users run it: `workers` workers of `batchSize` jobs each and a no-op handler,
 * over a queue filled up front. Each worker is notified (notifyWorker) as its handler runs, so it fetches again at once
 * instead of waiting for its polling interval (which caps plain polling at 2 jobs a second per worker). A sample waits
 * for the next JOBS_PER_SAMPLE jobs handled. This favours it a little: pg-boss completes a job after its handler
 * without awaiting the completion, and it keeps working between samples; our variants await every completion.
 */
async function pgBoss({ pgUrl, schema }: PgBenchContext, workers: number, batchSize: number): Promise<Subject> {
  const { default: PgBoss } = await import('pg-boss');
  const boss = new PgBoss({
    ...(pgUrl !== undefined ? { connectionString: pgUrl } : {}),
    schema,
    max: workers + 2,
    // Neither maintenance nor cron scheduling: only the queue is measured.
    supervise: false,
    schedule: false,
  });
  let failure: Error | undefined;
  boss.on('error', (error) => (failure ??= error));
  const teardown = async (): Promise<void> => {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    await dropSchema(schema, pgUrl);
  };
  try {
    await boss.start();
    await boss.createQueue('noop');
    for (let queued = 0; queued < QUEUED_JOBS; queued += 5_000) {
      await boss.insert(Array.from({ length: 5_000 }, () => ({ name: 'noop', data: {} })));
    }
    let handled = 0;
    let waiting: { target: number; resolve: () => void } | undefined;
    const ids: string[] = [];
    for (let w = 0; w < workers; w++) {
      ids[w] = await boss.work('noop', { batchSize }, async (jobs) => {
        const id = ids[w];
        if (id !== undefined) boss.notifyWorker(id);
        handled += jobs.length;
        if (waiting && handled >= waiting.target) {
          waiting.resolve();
          waiting = undefined;
        }
      });
    }
    return {
      run: () => {
        if (failure) throw failure;
        if (handled + JOBS_PER_SAMPLE > QUEUED_JOBS) throw new Error('the queue ran dry');
        return new Promise<void>((resolve) => {
          waiting = { target: handled + JOBS_PER_SAMPLE, resolve };
        });
      },
      teardown,
    };
  } catch (error) {
    await teardown().catch(() => undefined);
    throw error;
  }
}

/**
 * The other peer queue, pg-boss 10.4 (the last release for Node 20), measured beside the layer's leases: its batched
 * workers only. One job at a time its fetch slows with the depth of the queue (about 29 jobs/s with 4 workers over
 * the 30,000 queued here), so a sample of 120 jobs would take seconds.
 */
export const pgBossSubjects = {
  'pg-boss-batch-4': unsliceable((context: PgBenchContext) => pgBoss(context, 4, 10)),
} as const;
