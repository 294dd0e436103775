import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server used when neither --pg-url nor a PG* variable names one: the local one, as the postgres role. */
export const DEFAULT_PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * The server to use, always as one explicit URL: the given one; else libpq's PG* variables (PGHOST, PGPORT, PGUSER,
 * PGDATABASE; any one set), each missing part taken from the default; else the default.
 */
export function pgUrl(given?: string): string {
  if (given !== undefined) return given;
  const env = process.env;
  if ([env.PGHOST, env.PGPORT, env.PGUSER, env.PGDATABASE].every((v) => v === undefined)) return DEFAULT_PG_URL;
  const url = new URL(DEFAULT_PG_URL);
  url.username = env.PGUSER ?? url.username;
  url.port = env.PGPORT ?? url.port;
  url.pathname = `/${env.PGDATABASE ?? env.PGUSER ?? 'postgres'}`;
  const host = env.PGHOST ?? url.hostname;
  // A socket directory is passed as a parameter: a URL has no place for a path as its host.
  if (host.startsWith('/')) url.searchParams.set('host', host);
  else url.hostname = host.includes(':') ? `[${host}]` : host;
  return url.toString();
}

/** Why the server cannot be used (refused, unknown role, …), or undefined when a query succeeds within 3 s. */
export async function pgUnreachable(url = pgUrl()): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${url} is unreachable: ${(error as Error).message}`;
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
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
