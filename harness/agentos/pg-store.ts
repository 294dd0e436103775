import { openPgDatabase, type PgDatabase } from '../../src/pg/index.js';
import { CheckpointManager } from '../../src/index.js';
import { layerFinalState, statePartsFor, type AgentosBackend, type LayerStateRows } from './backend.js';
import { amcheck } from '../postgres/amcheck.js';
import { holdTableLock } from '../postgres/pg-lock.js';
import { dropSchema } from '../postgres/pg-server.js';
import { applicationName, type FinalState, type SubjectConfig } from '../subject.js';

function open(config: SubjectConfig, maxConnections: number, workerId = 'harness'): Promise<PgDatabase> {
  return openPgDatabase({
    ...(config.pgUrl !== undefined ? { connectionString: config.pgUrl } : {}),
    ...(config.schema !== undefined ? { schema: config.schema } : {}),
    maxConnections,
    applicationName: applicationName(config, workerId),
  });
}

/** Runs fn on a connection of its own: the harness holds none between uses, so a crashed server leaves it nothing stale. */
async function using<T>(config: SubjectConfig, fn: (db: PgDatabase) => Promise<T>): Promise<T> {
  const db = await open(config, 1);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** This layer on PostgreSQL, in the run's own schema. */
export const backend: AgentosBackend = {
  async prepare(config) {
    // Migrated once here, so the workers' opens find the schema current.
    await using(config, async () => undefined);
    return {
      read: (checks) => using(config, (db) => readPgState(db, checks)),
      expireLeases: (holders) =>
        using(config, async (db) => {
          // Expiry is the server's decision: time is moved where it is kept, for every client at once.
          const rows = await db.query<{ id: string }>(
            `UPDATE work_items SET lease_expires_at = agentos_now_ms()
             WHERE status = 'leased' AND lease_holder = ANY($1::text[]) RETURNING id`,
            [holders],
          );
          return { by: 'server', expired: rows.length };
        }),
      async close() {
        // Nothing is held between uses.
      },
    };
  },

  async open(config, { workerId }) {
    // Two connections: a commit and the lock holder's transaction never wait for each other's connection.
    const db = await open(config, 2, workerId);
    return {
      db,
      holdWriteLock: (holdMs, onHeld) => holdTableLock(db, 'checkpoint_seqs', holdMs, onHeld),
      close: () => db.close(),
    };
  },

  async teardown(config) {
    if (config.schema !== undefined) await dropSchema(config.schema, config.pgUrl);
  },
};

/** The layer's final state from its schema: what the checks judge on this subject. */
async function readPgState(db: PgDatabase, checks?: ReadonlySet<string>): Promise<FinalState> {
  const parts = statePartsFor(checks);
  const checkpoints = parts.checkpoints
    ? await db.query<LayerStateRows['checkpoints'][number]>(
        "SELECT id, task_id, seq, step, state::jsonb ->> 'token' AS token FROM checkpoints ORDER BY task_id, seq",
      )
    : [];
  const cm = new CheckpointManager(db);
  const latest: Record<string, number> = {};
  for (const task of new Set(checkpoints.map((r) => r.task_id))) latest[task] = (await cm.getLast(task))?.seq ?? 0;
  return layerFinalState({
    checkpoints,
    latest,
    tasks: await db.query('SELECT id, status FROM tasks'),
    integrity: await amcheck(db.pool, db.schema),
    log: parts.log ? await db.query('SELECT seq, item_id, epoch, holder, op FROM lease_log ORDER BY seq') : [],
    fencedCheckpoints: parts.log
      ? await db.query(
          'SELECT lease_item AS item, lease_epoch AS epoch, COUNT(*)::int AS n FROM checkpoints WHERE lease_item IS NOT NULL GROUP BY 1, 2',
        )
      : [],
    itemsByStatus: await db.query('SELECT status, COUNT(*)::int AS n FROM work_items GROUP BY status'),
  });
}
