import type { PgDatabase } from '../../src/pg/index.js';
import { inTransaction } from '../../src/pg/db.js';

/** Holds an exclusive lock on `table` for holdMs in a transaction of its own: every writer of it waits. */
export async function holdTableLock(
  db: { pool: PgDatabase['pool'] },
  table: string,
  holdMs: number,
  onHeld: () => void,
): Promise<void> {
  await inTransaction(db.pool, async (client) => {
    await client.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
    onHeld();
    // pg_sleep holds the lock for a fixed time: the fault itself, not a synchronisation wait.
    await client.query('SELECT pg_sleep($1)', [holdMs / 1000]);
  });
}
