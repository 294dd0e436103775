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

/** A migrated schema of a test file: its shape and the rows its migrations wrote (e.g. the idempotency salt). */
interface PooledSchema {
  name: string;
  shape: string;
  seeded: { table: string; rows: string }[];
}

/** The shape and the rows of a freshly migrated schema, to compare and restore after each test. */
async function migrated(client: pg.Pool | pg.Client, schema: string): Promise<Omit<PooledSchema, 'name'>> {
  const { rows } = await client.query<{ shape: string }>(SHAPE, [schema]);
  const tables = await client.query<{ t: string }>('SELECT tablename AS t FROM pg_tables WHERE schemaname = $1', [
    schema,
  ]);
  const seeded = [];
  for (const { t } of tables.rows) {
    const data = await client.query<{ rows: string | null }>(`SELECT json_agg(x)::text AS rows FROM ${schema}.${t} x`);
    if (data.rows[0]?.rows) seeded.push({ table: t, rows: data.rows[0].rows });
  }
  return { shape: rows[0]?.shape ?? '', seeded };
}

/** Puts a schema back as migrated; false when a test changed more than its rows (its `shape` differs). */
async function reset(client: pg.Client, schema: PooledSchema): Promise<boolean> {
  const now = await client.query<{ shape: string | null }>(SHAPE, [schema.name]);
  if (now.rows[0]?.shape !== schema.shape) return false;
  const tables = await client.query<{ t: string }>('SELECT tablename AS t FROM pg_tables WHERE schemaname = $1', [
    schema.name,
  ]);
  await client.query('BEGIN');
  await client.query(`TRUNCATE ${tables.rows.map((r) => `${schema.name}.${r.t}`).join(', ')} RESTART IDENTITY CASCADE`);
  for (const { table, rows } of schema.seeded)
    await client.query(
      `INSERT INTO ${schema.name}.${table} SELECT * FROM json_populate_recordset(NULL::${schema.name}.${table}, $1)`,
      [rows],
    );
  await client.query('COMMIT');
  return true;
}

/** A schema not created yet: created and migrated when a test first opens it. */
const fresh = (): PooledSchema => ({ name: freshSchemaName('agentos_test'), shape: '', seeded: [] });

/**
 * Opens the layer in a migrated schema of its own per call; every pool is closed after the test. Migrating a fresh
 * schema costs about half a second, so a test file reuses its schemas: the n-th store a test opens gets the file's
 * n-th schema, put back as migrated after the test (a schema a test altered is dropped instead). All are dropped after the file.
 */
export function useTempPg(): (options?: { maxConnections?: number }) => Promise<PgDatabase> {
  const schemas: PooledSchema[] = [];
  const open: PgDatabase[] = [];
  let used = 0;
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
    if (used === 0) return;
    const client = new pg.Client({ connectionString: pgUrl() });
    await client.connect();
    try {
      for (const [i, schema] of schemas.slice(0, used).entries()) {
        if (await reset(client, schema).catch(() => client.query('ROLLBACK').then(() => false))) continue;
        await client.query(`DROP SCHEMA IF EXISTS ${schema.name} CASCADE`);
        schemas.splice(i, 1, fresh());
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
    const schema = (schemas[used] ??= fresh());
    used++;
    const db = await openPgDatabase({ connectionString: pgUrl(), schema: schema.name, ...options });
    open.push(db);
    if (schema.shape === '') Object.assign(schema, await migrated(db.pool, schema.name));
    return db;
  };
}
