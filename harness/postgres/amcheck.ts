import pg from 'pg';

/** What the check needs of a connection: a pool or one client, of this package's pg or a project's own. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * PostgreSQL's storage check for one schema: amcheck's bt_index_check on every B-tree index in it. Returns ["ok"], or
 * one line per index that failed; when amcheck cannot be installed (no privilege), says so instead of passing.
 */
export async function amcheck(pool: Queryable, schema: string): Promise<string[]> {
  let where: string;
  try {
    // In public, not the run's schema: dropping a run's schema must not drop the extension under another run.
    await pool.query('CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public');
    const found = await pool.query(
      "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'",
    );
    where = pg.escapeIdentifier((found.rows[0] as { nspname: string } | undefined)?.nspname ?? 'public');
  } catch (error) {
    return [`amcheck unavailable: ${(error as Error).message}`];
  }
  const indexes = await pool.query(
    `SELECT c.oid::int AS oid, c.relname AS name FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_am a ON a.oid = c.relam
     WHERE n.nspname = $1 AND a.amname = 'btree'`,
    [schema],
  );
  const failures: string[] = [];
  for (const index of indexes.rows as { oid: number; name: string }[]) {
    try {
      await pool.query(`SELECT ${where}.bt_index_check($1::regclass, true)`, [index.oid]);
    } catch (error) {
      failures.push(`${index.name}: ${(error as Error).message}`);
    }
  }
  return failures.length > 0 ? failures : ['ok'];
}
