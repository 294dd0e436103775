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
