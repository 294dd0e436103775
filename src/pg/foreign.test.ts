import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { dropSchema, freshSchemaName, pgUrl } from '../../harness/postgres/pg-server.js';
import { pgSkipReason, useTempPg } from '../../test/helpers/temp-pg.js';
import { ForeignDatabaseError } from '../errors.js';
import { loadMigrations } from '../migrations.js';
import { openPgDatabase } from './index.js';
import { LAYER_MIGRATIONS_COMMENT } from './mark.js';

const PG_MIGRATIONS = loadMigrations('postgres').length;

/** Runs sql on its own connection (the layer's pool is not involved). */
async function run(sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: pgUrl() });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Everything a refused open could have changed in a schema: its objects, columns, comments and migration rows. */
async function snapshot(schema: string): Promise<string> {
  const objects = await run(`SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class') AS comment,
      (SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ',' ORDER BY attnum)
         FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0) AS columns
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '${schema}' ORDER BY c.relname`);
  const functions = await run(
    `SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = '${schema}'`,
  );
  const hasMigrations = objects.some((o) => o.relname === 'schema_migrations');
  const migrations = hasMigrations ? await run(`SELECT * FROM ${schema}.schema_migrations ORDER BY 1`) : null;
  return JSON.stringify({ objects, functions, migrations });
}

async function migrationsComment(schema: string): Promise<unknown> {
  const rows = await run(`SELECT obj_description('${schema}.schema_migrations'::regclass, 'pg_class') AS c`);
  return rows[0]?.c;
}

async function refusal(schema: string): Promise<ForeignDatabaseError> {
  const error: unknown = await openPgDatabase({ connectionString: pgUrl(), schema }).then(
    async (db) => {
      await db.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ForeignDatabaseError);
  return error as ForeignDatabaseError;
}

describe.skipIf(pgSkipReason !== undefined)('openPgDatabase: whose schema it is', () => {
  const openPg = useTempPg();
  const schemas: string[] = [];
  afterEach(async () => {
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  async function foreignSchema(sql: string): Promise<string> {
    const schema = freshSchemaName('agentos_foreign');
    schemas.push(schema);
    await run(`CREATE SCHEMA ${schema}; SET search_path = ${schema}; ${sql}`);
    return schema;
  }

  it.each([2, PG_MIGRATIONS])(
    'refuses a golang-migrate schema (schema_migrations(version, dirty), version %i) and leaves it unchanged',
    async (version) => {
      const schema =
        await foreignSchema(`CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
        INSERT INTO schema_migrations VALUES (${version}, false);
        CREATE TABLE users (id serial PRIMARY KEY, email text)`);
      const before = await snapshot(schema);
      const error = await refusal(schema);
      expect(error.message).toMatch(
        new RegExp(
          `schema ${schema}.*another application.*schema_migrations table has the columns \\(version, dirty\\), not this layer's \\(version, name, applied_at\\)`,
        ),
      );
      expect(await snapshot(schema)).toBe(before);
    },
  );

  it('refuses a Rails schema (schema_migrations(version) = 20240101120000) as foreign, not as a newer schema', async () => {
    const schema = await foreignSchema(`CREATE TABLE schema_migrations (version varchar NOT NULL PRIMARY KEY);
      CREATE TABLE ar_internal_metadata (key varchar NOT NULL PRIMARY KEY, value varchar);
      INSERT INTO schema_migrations VALUES ('20240101120000')`);
    const before = await snapshot(schema);
    const error = await refusal(schema);
    expect(error.message).toMatch(
      new RegExp(`schema ${schema}.*schema_migrations table has the columns \\(version\\)`),
    );
    expect(error.message).not.toMatch(/newer/);
    expect(await snapshot(schema)).toBe(before);
  });

  it('marks a new schema; opens an up-to-date schema of this layer written before the mark as it is', async () => {
    const db = await openPg();
    expect(await migrationsComment(db.schema)).toBe(LAYER_MIGRATIONS_COMMENT);
    await db.query('COMMENT ON TABLE schema_migrations IS NULL');
    await db.query("INSERT INTO tasks (id, status, created_at, updated_at) VALUES ('t1', 'running', 1, 1)");
    const before = await snapshot(db.schema);
    const again = await openPgDatabase({ connectionString: pgUrl(), schema: db.schema });
    expect(await again.schemaVersion()).toBe(PG_MIGRATIONS);
    expect(await again.query('SELECT id FROM tasks')).toEqual([{ id: 't1' }]);
    await again.close();
    expect(await snapshot(db.schema)).toBe(before);
  });

  it('migrates and marks a schema of this layer written before the mark at an older version', async () => {
    // The schema as the first release wrote it: migration 1 applied and recorded, no mark.
    const [first] = loadMigrations('postgres');
    const schema = await foreignSchema(`${first!.sql};
      CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL);
      INSERT INTO schema_migrations VALUES (1, '${first!.name}', 0)`);
    expect(await migrationsComment(schema)).toBeNull();
    const again = await openPgDatabase({ connectionString: pgUrl(), schema });
    expect(await again.schemaVersion()).toBe(PG_MIGRATIONS);
    await again.close();
    expect(await migrationsComment(schema)).toBe(LAYER_MIGRATIONS_COMMENT);
  });

  it("refuses a schema holding another application's tables and no schema_migrations, unchanged", async () => {
    const schema = await foreignSchema('CREATE TABLE customers (id serial PRIMARY KEY, name text)');
    const before = await snapshot(schema);
    const error = await refusal(schema);
    expect(error.message).toMatch(new RegExp(`schema ${schema}.*no schema_migrations table.*table customers`));
    expect(await snapshot(schema)).toBe(before);
    expect(
      await run(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = '${schema}' AND relkind = 'r'`),
    ).toEqual([{ relname: 'customers' }]);
  });
});
