import pg from 'pg';
import type { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { holdTableLock } from '../postgres/pg-lock.js';
import { amcheck } from '../postgres/amcheck.js';
import { savedCheckpoints, saverCommit } from './saver.js';
import { dropSchema } from '../postgres/pg-server.js';
import { applicationName, type SubjectConfig, type SubjectParts } from '../subject.js';

async function saverFor(config: SubjectConfig, workerId = 'harness'): Promise<{ saver: PostgresSaver; pool: pg.Pool }> {
  const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');
  const pool = new pg.Pool({
    ...(config.pgUrl !== undefined ? { connectionString: config.pgUrl } : {}),
    max: 2,
    application_name: applicationName(config, workerId),
  });
  // A connection that dies while idle is dropped; the next query opens another.
  pool.on('error', () => undefined);
  return { saver: new PostgresSaver(pool, undefined, { schema: config.schema ?? 'public' }), pool };
}

/** LangGraph's PostgresSaver with its own defaults, in the run's own schema. */
export const langgraphPostgres: SubjectParts = {
  async prepare(config) {
    const { saver, pool } = await saverFor(config);
    await saver.setup();
    await pool.end();
    return {
      async read() {
        const { saver, pool } = await saverFor(config);
        try {
          return {
            checkpoints: await savedCheckpoints(saver),
            latest: {},
            integrity: await amcheck(pool, config.schema ?? 'public'),
          };
        } finally {
          await pool.end();
        }
      },
      async close() {
        // Each read opens and closes its own pool.
      },
    };
  },

  async open(config, { workerId }) {
    const { saver, pool } = await saverFor(config, workerId);
    return {
      commit: saverCommit(saver),
      holdWriteLock: (holdMs, onHeld) =>
        holdTableLock({ pool }, `${config.schema ?? 'public'}.checkpoints`, holdMs, onHeld),
      close: () => pool.end(),
    };
  },

  async teardown(config) {
    if (config.schema !== undefined) await dropSchema(config.schema, config.pgUrl);
  },
};
