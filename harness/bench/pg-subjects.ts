import { dropSchema, freshSchemaName } from '../subjects/pg-server.js';
import type { Subject } from './subjects.js';

/** Where a PostgreSQL variant runs: the server (undefined: the PG* variables) of the run. */
export interface PgBenchContext {
  pgUrl: string | undefined;
}

const STATE = { step: 'plan', notes: 'a typical small agent state', tokens: 512, files: ['a.ts', 'b.ts'] };

/** The layer on a fresh schema of the server; dropped at teardown. */
async function layerOn({ pgUrl }: PgBenchContext) {
  const pgLayer = await import('../../src/pg/index.js');
  const schema = freshSchemaName('agentos_bench');
  const db = await pgLayer.openPgDatabase({
    ...(pgUrl !== undefined ? { connectionString: pgUrl } : {}),
    schema,
    maxConnections: 4,
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
          ['bench-task', JSON.stringify({ ...STATE, i: i++ })],
          'bench.insert',
        ),
      teardown,
    };
  },

  /** PgCheckpointManager: begin + commit of the same state (next sequence number and insert in one statement). */
  'pg-checkpoint-commit': async (context: PgBenchContext): Promise<Subject> => {
    const { pgLayer, db, teardown } = await layerOn(context);
    const cm = new pgLayer.PgCheckpointManager(db);
    let i = 0;
    return { run: () => cm.commit(cm.begin('bench-task', 'step', { ...STATE, i: i++ })), teardown };
  },

  /** The same commit fenced by a held lease: the epoch is checked in the same statement. */
  'pg-checkpoint-commit-fenced': async (context: PgBenchContext): Promise<Subject> => {
    const { pgLayer, db, teardown } = await layerOn(context);
    const cm = new pgLayer.PgCheckpointManager(db);
    const leases = new pgLayer.PgLeaseManager(db, { workerId: 'bench', leaseDurationMs: 600_000 });
    await leases.enqueue([{ id: 'bench-item' }]);
    const lease = await leases.acquire('bench-item');
    if (!lease) throw new Error('could not lease bench-item');
    let i = 0;
    return {
      run: () => cm.commit(cm.begin('bench-task', 'step', { ...STATE, i: i++ }), undefined, { lease }),
      teardown,
    };
  },

  /** The peer: LangGraph's PostgresSaver.put of a checkpoint holding the same state, on the same server. */
  'postgressaver-put': async ({ pgUrl }: PgBenchContext): Promise<Subject> => {
    const { default: pg } = await import('pg');
    const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');
    const { emptyCheckpoint, uuid6 } = await import('@langchain/langgraph-checkpoint');
    const schema = freshSchemaName('langgraph_bench');
    const pool = new pg.Pool({ ...(pgUrl !== undefined ? { connectionString: pgUrl } : {}), max: 4 });
    pool.on('error', () => undefined);
    const saver = new PostgresSaver(pool, undefined, { schema });
    await saver.setup();
    const config = { configurable: { thread_id: 'bench-thread', checkpoint_ns: '' } };
    let i = 0;
    return {
      run: () => {
        const version = ++i;
        const checkpoint = {
          ...emptyCheckpoint(),
          id: uuid6(-1),
          channel_values: { state: { ...STATE, i } },
          channel_versions: { state: version },
        };
        return saver.put(config, checkpoint, { source: 'loop', step: i, parents: {} }, { state: version });
      },
      teardown: async () => {
        await pool.end();
        await dropSchema(schema, pgUrl);
      },
    };
  },
} as const;
