import pg from 'pg';
import { DatabaseOpenError, DatabaseUnavailableError, SchemaTooNewError } from '../errors.js';
import { loadMigrations } from '../migrations.js';
import { InvalidArgumentError, assertPositiveInt } from '../validate.js';
import type { AgentStore } from '../store.js';
import { PgCacheStore } from './cache-store.js';
import { PgCheckpointStore } from './checkpoint-store.js';
import { PgLeaseStore } from './lease-store.js';
import { PgSweepStore } from './sweep-store.js';
import { PgSaverStore } from './saver-store.js';
import { PgTaskStore } from './task-store.js';
import { PgToolStore } from './tool-store.js';
import { connectionLoss } from './connection-loss.js';
import { assertLayerSchema, markLayerSchema } from './mark.js';

export interface OpenPgDatabaseOptions {
  /** A postgres:// URL. Default: libpq's PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). */
  connectionString?: string;
  /** The schema holding the layer's tables (default "agentos"); created when missing. */
  schema?: string;
  /** Most connections this process opens (default 10). */
  maxConnections?: number;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /** Shown in pg_stat_activity as application_name: who each connection belongs to. */
  applicationName?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const BIGINT_OID = 20;

/** An open recovery-layer database on PostgreSQL: a connection pool whose sessions use the layer's schema. */
export class PgDatabase implements AgentStore {
  readonly backend = 'postgres';
  #checkpointStore: PgCheckpointStore | undefined;
  #cacheStore: PgCacheStore | undefined;
  #leaseStore: PgLeaseStore | undefined;
  #taskStore: PgTaskStore | undefined;
  #sweepStore: PgSweepStore | undefined;
  #saverStore: PgSaverStore | undefined;
  #toolStore: PgToolStore | undefined;

  constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
    /** Where it is, for messages: host, port, database and schema; never the password. */
    readonly label: string,
    /**
     * Which database this is, whatever address it was reached at: the server's system identifier, the database's oid
     * and the schema, read at open. What this process shares between handles of one database (tool calls in flight)
     * is keyed by it.
     */
    readonly identity: string,
  ) {}

  get checkpointStore(): PgCheckpointStore {
    return (this.#checkpointStore ??= new PgCheckpointStore(this));
  }

  get cacheStore(): PgCacheStore {
    return (this.#cacheStore ??= new PgCacheStore(this));
  }

  get leaseStore(): PgLeaseStore {
    return (this.#leaseStore ??= new PgLeaseStore(this));
  }

  get taskStore(): PgTaskStore {
    return (this.#taskStore ??= new PgTaskStore(this));
  }

  get sweepStore(): PgSweepStore {
    return (this.#sweepStore ??= new PgSweepStore(this));
  }

  get saverStore(): PgSaverStore {
    return (this.#saverStore ??= new PgSaverStore(this));
  }

  get toolStore(): PgToolStore {
    return (this.#toolStore ??= new PgToolStore(this));
  }

  /**
   * One statement, prepared once per connection under `name` when given. A lost or refused connection throws
   * DatabaseUnavailableError, saying whether the statement may have been committed; the pool reconnects on the next.
   */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    try {
      const result = await this.pool.query<R>(name ? { name, text, values } : { text, values });
      return result.rows;
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /** fn's statements in one transaction on one connection (see inTransaction); errors as query() throws them. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.pool, fn);
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /** A lost or refused connection as DatabaseUnavailableError; any other error as it is. */
  #failure(error: unknown): unknown {
    const loss = connectionLoss(error);
    return loss ? new DatabaseUnavailableError(this.label, loss.inDoubt, { cause: error }) : error;
  }

  /** Highest applied migration number. */
  async schemaVersion(): Promise<number> {
    const rows = await this.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    return rows[0]?.v ?? 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Connects, creates the schema if needed and applies pending migrations under an advisory lock, so workers opening
 * one server at once migrate it once, marking the schema as this layer's (see mark.ts). Refuses, unchanged, another
 * application's schema (ForeignDatabaseError) and one written by a newer release (SchemaTooNewError).
 */
export async function openPgDatabase(options: OpenPgDatabaseOptions = {}): Promise<PgDatabase> {
  const schema = options.schema ?? 'agentos';
  if (!SCHEMA_NAME.test(schema))
    throw new InvalidArgumentError(
      `schema must be a lower-case SQL identifier (letters, digits, _; at most 63), got ${JSON.stringify(schema)}`,
    );
  const max = options.maxConnections ?? 10;
  assertPositiveInt('maxConnections', max);
  const pool = new pg.Pool({
    ...(options.connectionString !== undefined ? { connectionString: options.connectionString } : {}),
    max,
    options: `-c search_path=${schema}`,
    ...(options.applicationName !== undefined ? { application_name: options.applicationName } : {}),
    // bigint columns hold milliseconds and epochs, far below 2^53.
    types: { getTypeParser: bigintAsNumber },
  });
  // A connection that dies while idle (server restart, pg_terminate_backend) is dropped; the next query opens another.
  pool.on('error', () => undefined);
  const label = describe(options.connectionString, schema);
  let identity: string;
  try {
    if (options.migrate ?? true) await migrate(pool, schema, label);
    else await assertLayerSchema(pool, schema, label);
    identity = await databaseIdentity(pool, schema);
  } catch (error) {
    await pool.end();
    if (error instanceof DatabaseOpenError) throw error;
    throw new DatabaseOpenError(label, `cannot open it: ${(error as Error).message}`, { cause: error });
  }
  return new PgDatabase(pool, schema, label, identity);
}

/**
 * The schema's identity on its server: the cluster's system identifier (the same by any host name, address or
 * port), the database's oid (one cluster holds several databases) and the schema. Read as text: the identifier
 * exceeds 2^53.
 */
async function databaseIdentity(pool: pg.Pool, schema: string): Promise<string> {
  const { rows } = await pool.query<{ system: string; database: string }>(
    `SELECT system_identifier::text AS system,
       (SELECT oid FROM pg_database WHERE datname = current_database())::text AS database
     FROM pg_control_system()`,
  );
  const row = rows[0];
  if (!row) throw new Error('pg_control_system() returned no row');
  return `postgresql:${row.system}:${row.database}:${schema}`;
}

function bigintAsNumber(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  return oid === BIGINT_OID ? Number : (pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown);
}

async function migrate(pool: pg.Pool, schema: string, label: string): Promise<void> {
  const migrations = loadMigrations('postgres');
  // Another application's schema is refused before anything reads its schema_migrations as ours, or writes.
  await assertLayerSchema(pool, schema, label);
  // Up to date (the common case: every worker opening a migrated schema): one read, no lock that would queue them.
  // An up-to-date schema written before the mark is opened as it is: it is marked when it next migrates.
  const current = await recordedVersion(pool);
  if (current === migrations.length) return;
  if (current !== undefined && current > migrations.length)
    throw new SchemaTooNewError(label, current, migrations.length);
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`agentos-migrate:${schema}`]);
    // Checked again under the lock: another opener may have created or migrated the schema meanwhile.
    const owner = await assertLayerSchema(client, schema, label);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
    if (owner !== 'marked') await markLayerSchema(client);
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
    );
    const newest = Math.max(0, ...done);
    if (newest > migrations.length) throw new SchemaTooNewError(label, newest, migrations.length);
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query(
        'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, agentos_now_ms())',
        [m.version, m.name],
      );
    }
  });
}

/**
 * Runs fn in a transaction on a connection of its own: committed if fn returns, rolled back if it throws, and the
 * connection never goes back to the pool inside a failed transaction.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client whose socket dies emits 'error'; unheard, that would end the process. Its query fails anyway.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', ignore);
    client.release();
  }
}

/** The newest migration recorded in the schema, or undefined when it has none yet. */
async function recordedVersion(pool: pg.Pool): Promise<number | undefined> {
  try {
    const { rows } = await pool.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    return rows[0]?.v ?? undefined;
  } catch (error) {
    // 42P01: no schema_migrations table in this schema yet.
    if ((error as { code?: unknown }).code === '42P01') return undefined;
    throw error;
  }
}

function describe(connectionString: string | undefined, schema: string): string {
  const env = process.env;
  let host = env.PGHOST ?? 'localhost';
  let port = env.PGPORT ?? '5432';
  let database = env.PGDATABASE ?? env.PGUSER ?? env.USER ?? '';
  if (connectionString !== undefined) {
    try {
      const url = new URL(connectionString);
      host = url.hostname || host;
      port = url.port || '5432';
      database = url.pathname.slice(1) || database;
    } catch {
      return `${connectionString.replace(/:[^:@/]*@/, ':***@')} (schema ${schema})`;
    }
  }
  return `postgresql://${host}:${port}/${database} (schema ${schema})`;
}
