import { afterEach } from 'vitest';
import { dropSchema, freshSchemaName, pgUnreachable, pgUrl } from '../../harness/postgres/pg-server.js';
import { openPgDatabase, type PgDatabase } from '../../src/pg/index.js';

/** Why the PostgreSQL suites are skipped here (printed once), or undefined when the server answers. */
export const pgSkipReason = await pgUnreachable();
if (pgSkipReason) console.warn(`PostgreSQL suites skipped: ${pgSkipReason}`);

/** Opens the layer in a fresh schema per call; every schema is dropped and every pool closed after the test. */
export function useTempPg(): (options?: { maxConnections?: number }) => Promise<PgDatabase> {
  const open: PgDatabase[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) {
      await db.close();
      await dropSchema(db.schema);
    }
  });
  return async (options = {}) => {
    const db = await openPgDatabase({
      connectionString: pgUrl(),
      schema: freshSchemaName('agentos_test'),
      ...options,
    });
    open.push(db);
    return db;
  };
}
