import pg from 'pg';
import { afterAll, afterEach } from 'vitest';
import { dropSchema, freshSchemaName, pgUnreachable, pgUrl } from '../../harness/postgres/pg-server.js';
import { openPgDatabase, type PgDatabase } from '../../src/pg/index.js';

/** Why the PostgreSQL suites are skipped here (printed once), or undefined when the server answers. */
export const pgSkipReason = await pgUnreachable();
if (pgSkipReason) console.warn(`PostgreSQL suites skipped: ${pgSkipReason}`);

/** What a schema holds besides its rows: relations, functions and triggers (a test that altered it changed these). */
const SHAPE = `SELECT
    (SELECT string_agg(format('%s:%s:%s', c.relname, c.relkind, c.relnatts), ',' ORDER BY c.relname)
       FROM pg_class c WHERE c.relnamespace = n.oid) ||
    (SELECT coalesce(string_agg(p.proname, ',' ORDER BY p.proname), '') FROM pg_proc p WHERE p.pronamespace = n.oid) ||
    (SELECT coalesce(string_agg(t.tgname, ',' ORDER BY t.tgname), '')
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = n.oid) AS shape
  FROM pg_namespace n WHERE n.nspname = $1`;

/** Empties a schema's tables but its migration record; false when the schema is not as migrated (`shape` differs). */
async function reset(client: pg.Client, schema: string, shape: string): Promise<boolean> {
  const now = await client.query<{ shape: string | null }>(SHAPE, [schema]);
  if (now.rows[0]?.shape !== shape) return false;
  const tables = await client.query<{ t: string }>(
    `SELECT tablename AS t FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations'`,
    [schema],
  );
  if (tables.rows.length > 0)
    await client.query(`TRUNCATE ${tables.rows.map((r) => `${schema}.${r.t}`).join(', ')} RESTART IDENTITY CASCADE`);
  return true;
}

/**
 * Opens the layer in a migrated schema of its own per call; every pool is closed after the test. Migrating a fresh
 * schema costs about half a second, so a test file reuses its schemas: the n-th store a test opens gets the file's
 * n-th schema, emptied after the test (a schema a test altered is dropped instead). All are dropped after the file.
 */
export function useTempPg(): (options?: { maxConnections?: number }) => Promise<PgDatabase> {
  const schemas: { name: string; shape: string }[] = [];
  const open: PgDatabase[] = [];
  let used = 0;
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
    if (used === 0) return;
    const client = new pg.Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      for (const [i, schema] of schemas.slice(0, used).entries()) {
        if (await reset(client, schema.name, schema.shape).catch(() => false)) continue;
        await client.query(`DROP SCHEMA IF EXISTS ${schema.name} CASCADE`);
        schemas.splice(i, 1, { name: freshSchemaName('agentos_test'), shape: '' });
      }
    } finally {
      used = 0;
      await client.end();
    }
  });
  afterAll(async () => {
    for (const schema of schemas.splice(0)) await dropSchema(schema.name);
  });
  return async (options = {}) => {
    const schema = (schemas[used] ??= { name: freshSchemaName('agentos_test'), shape: '' });
    used++;
    const db = await openPgDatabase({ connectionString: pgUrl(), schema: schema.name, ...options });
    open.push(db);
    if (schema.shape === '') {
      const { rows } = await db.pool.query<{ shape: string }>(SHAPE, [schema.name]);
      schema.shape = rows[0]?.shape ?? '';
    }
    return db;
  };
}
