import pg from 'pg';
import { applicationName, type SubjectConfig } from 'agentos-chaos/harness';

/** The DBOS application of every process of a run: it scopes the run's workflows in the system database. */
export const APP_NAME = 'agentos-chaos';

/** DBOS's tables a workflow's progress is written to: its status row, then one row per recorded step. */
const PROGRESS_TABLES = ['workflow_status', 'operation_outputs'];

/** The run's own schema on the server: DBOS's system database schema (systemDatabaseSchemaName) for this run. */
export function systemSchema(config: SubjectConfig): string {
  if (config.schema === undefined)
    throw new Error(`subject ${config.name}: the run gave no schema (server: 'postgres')`);
  return config.schema;
}

/**
 * The run's server as DBOS's systemDatabaseUrl, its connections named like the layer's (`<schema>/<worker>` in
 * pg_stat_activity), so the harness's server faults find a worker's connections.
 */
export function systemDatabaseUrl(config: SubjectConfig, who: string): string {
  if (config.pgUrl === undefined) throw new Error(`subject ${config.name}: the run gave no server URL`);
  const url = new URL(config.pgUrl);
  url.searchParams.set('application_name', applicationName(config, who));
  return url.toString();
}

/** Runs fn on a connection of its own, closed after. */
export async function withConnection<T>(
  config: SubjectConfig,
  who: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: systemDatabaseUrl(config, who) });
  // A connection the server ends while idle must not crash the process: the next query reports it.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops the run's schema, with everything DBOS created in it. */
export async function dropSystemSchema(config: SubjectConfig): Promise<void> {
  await withConnection(config, 'harness', (c) =>
    c.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(systemSchema(config))} CASCADE`),
  );
}

/**
 * DBOS's nearest thing to a write lock: its progress tables locked EXCLUSIVE (readers go on, every workflow start and
 * step record waits) for holdMs, in a transaction of its own. The hold is the fault itself, not a synchronisation wait.
 */
export async function holdProgressTables(
  config: SubjectConfig,
  who: string,
  holdMs: number,
  onHeld: () => void,
): Promise<void> {
  const schema = pg.escapeIdentifier(systemSchema(config));
  await withConnection(config, who, async (c) => {
    await c.query('BEGIN');
    try {
      await c.query(`LOCK TABLE ${PROGRESS_TABLES.map((t) => `${schema}.${t}`).join(', ')} IN EXCLUSIVE MODE`);
      onHeld();
      await new Promise((resolve) => setTimeout(resolve, holdMs));
    } finally {
      await c.query('COMMIT');
    }
  });
}

/**
 * PostgreSQL's storage check of DBOS's schema: amcheck's bt_index_check on every B-tree index in it. ["ok"], or one
 * line per index that failed; when amcheck cannot be installed (no privilege), says so instead of passing.
 */
export async function amcheck(client: pg.Client, schema: string): Promise<string[]> {
  let where: string;
  try {
    // In public, not the run's schema: dropping a run's schema must not drop the extension under another run.
    await client.query('CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public');
    const found = await client.query<{ nspname: string }>(
      "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'",
    );
    where = pg.escapeIdentifier(found.rows[0]?.nspname ?? 'public');
  } catch (error) {
    return [`amcheck unavailable: ${(error as Error).message}`];
  }
  const indexes = await client.query<{ oid: number; name: string }>(
    `SELECT c.oid::int AS oid, c.relname AS name FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_am a ON a.oid = c.relam
     WHERE n.nspname = $1 AND a.amname = 'btree'`,
    [schema],
  );
  const failures: string[] = [];
  for (const index of indexes.rows) {
    try {
      await client.query(`SELECT ${where}.bt_index_check($1::regclass, true)`, [index.oid]);
    } catch (error) {
      failures.push(`${index.name}: ${(error as Error).message}`);
    }
  }
  return failures.length > 0 ? failures : ['ok'];
}
