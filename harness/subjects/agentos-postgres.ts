import { openPgDatabase, type PgDatabase } from '../../src/pg/index.js';
import { CheckpointManager, LLMOutputCache, LeaseManager, TaskRunner, ToolLedger } from '../../src/index.js';
import { WORKER_TOOL_ENV } from '../workers/marker.js';
import { inTransaction } from '../../src/pg/db.js';
import { amcheck } from './amcheck.js';
import { dropSchema } from './pg-server.js';
import {
  applicationName,
  type FinalState,
  type LeaseLogEntry,
  type SubjectConfig,
  type SubjectDriver,
} from './subject.js';

function open(config: SubjectConfig, maxConnections: number, workerId = 'harness'): Promise<PgDatabase> {
  return openPgDatabase({
    ...(config.pgUrl !== undefined ? { connectionString: config.pgUrl } : {}),
    ...(config.schema !== undefined ? { schema: config.schema } : {}),
    maxConnections,
    applicationName: applicationName(config, workerId),
  });
}

/** This layer on PostgreSQL, in the run's own schema. */
export const agentosPostgres: SubjectDriver = {
  async prepare(config) {
    // Migrated once here, so the workers' opens find the schema current.
    await (await open(config, 1)).close();
  },

  async open(config, { workerId }) {
    // Two connections: a commit and the lock holder's transaction never wait for each other's connection.
    const db = await open(config, 2, workerId);
    const cm = new CheckpointManager(db);
    return {
      async commit(taskId, step, state) {
        const c = await cm.commit(cm.begin(taskId, step, state));
        return { id: c.id, seq: c.seq };
      },
      async holdWriteLock(holdMs, onHeld) {
        await holdTableLock(db, 'checkpoint_seqs', holdMs, onHeld);
      },
      leases: (options) => ({ leases: new LeaseManager(db, options), checkpoints: cm }),
      tools: new ToolLedger(db, { inheritEnv: WORKER_TOOL_ENV }),
      cache: new LLMOutputCache(db),
      runner: (definition, options, baseDir) =>
        new TaskRunner(db, new CheckpointManager(db, { baseDir }), definition, options),
      close: () => db.close(),
    };
  },

  async read(config): Promise<FinalState> {
    const db = await open(config, 1);
    try {
      const rows = await db.query<{ id: number; task_id: string; seq: number; step: string; token: string | null }>(
        "SELECT id, task_id, seq, step, state::jsonb ->> 'token' AS token FROM checkpoints ORDER BY task_id, seq",
      );
      const cm = new CheckpointManager(db);
      const latest: Record<string, number> = {};
      for (const task of new Set(rows.map((r) => r.task_id))) latest[task] = (await cm.getLast(task))?.seq ?? 0;
      return {
        checkpoints: rows.map((r) => ({
          id: String(r.id),
          taskId: r.task_id,
          seq: r.seq,
          step: r.step,
          ...(r.token !== null ? { token: r.token } : {}),
        })),
        latest,
        tasks: Object.fromEntries(
          (await db.query<{ id: string; status: string }>('SELECT id, status FROM tasks')).map((r) => [r.id, r.status]),
        ),
        integrity: await amcheck(db.pool, db.schema),
        leases: {
          log: await db.query<LeaseLogEntry>('SELECT seq, item_id, epoch, holder, op FROM lease_log ORDER BY seq'),
          fencedCheckpoints: await db.query<{ item: string; epoch: number; n: number }>(
            'SELECT lease_item AS item, lease_epoch AS epoch, COUNT(*)::int AS n FROM checkpoints WHERE lease_item IS NOT NULL GROUP BY 1, 2',
          ),
          itemsByStatus: Object.fromEntries(
            (
              await db.query<{ status: string; n: number }>(
                'SELECT status, COUNT(*)::int AS n FROM work_items GROUP BY status',
              )
            ).map((r) => [r.status, r.n]),
          ),
        },
      };
    } finally {
      await db.close();
    }
  },

  async drop(config) {
    if (config.schema !== undefined) await dropSchema(config.schema, config.pgUrl);
  },
};

/** Holds an exclusive lock on `table` for holdMs in a transaction of its own: every writer of it waits. */
export async function holdTableLock(
  db: { pool: PgDatabase['pool'] },
  table: string,
  holdMs: number,
  onHeld: () => void,
): Promise<void> {
  await inTransaction(db.pool, async (client) => {
    await client.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
    onHeld();
    // pg_sleep holds the lock for a fixed time: the fault itself, not a synchronisation wait.
    await client.query('SELECT pg_sleep($1)', [holdMs / 1000]);
  });
}
