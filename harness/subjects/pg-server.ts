import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server used when neither --pg-url nor a PG* variable names one: the local one, as the postgres role. */
export const DEFAULT_PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/** The connection string to use: the given URL, else libpq's PG* variables when set (undefined), else the default. */
export function pgUrl(given?: string): string | undefined {
  if (given !== undefined) return given;
  if (process.env.PGHOST !== undefined || process.env.PGDATABASE !== undefined || process.env.PGUSER !== undefined)
    return undefined;
  return DEFAULT_PG_URL;
}

/** Why the server cannot be used (refused, unknown role, …), or undefined when a query succeeds within 3 s. */
export async function pgUnreachable(url = pgUrl()): Promise<string | undefined> {
  const client = new pg.Client({
    ...(url !== undefined ? { connectionString: url } : {}),
    connectionTimeoutMillis: 3000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${url ?? 'the PG* variables'} is unreachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh schema name for one run or test, dropped afterwards with dropSchema. */
export function freshSchemaName(prefix = 'agentos_run'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** Drops a run's schema and everything in it. */
export async function dropSchema(schema: string, url = pgUrl()): Promise<void> {
  const client = new pg.Client(url !== undefined ? { connectionString: url } : {});
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
