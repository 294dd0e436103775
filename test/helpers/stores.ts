import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { ManualClock, openDatabase } from '../../src/index.js';
import type { PgDatabase } from '../../src/pg/index.js';
import type { AgentStore } from '../../src/store.js';
import { useTempDir } from './temp-db.js';
import { pgSkipReason, useTempPg } from './temp-pg.js';

/** A fresh store of one backend, for a contract test: the same test body runs on each. */
export interface StoreUnderTest {
  db: AgentStore;
  backend: 'sqlite' | 'postgres';
  /** A temporary directory (evidence, tool commands); removed after the test. */
  dir: string;
  /** Rows in a table of the layer's schema. */
  count: (table: string) => Promise<number>;
  /** The storage's own consistency check: ['ok'] when sound. */
  integrity: () => Promise<string[]>;
  /** Ends a lease by the store's clock, as if its time had run out (no waiting). */
  expire: (itemId: string) => Promise<void>;
  /** Runs a statement without parameters (the same SQL on both backends). */
  exec: (sql: string) => Promise<void>;
  /** The rows of a SELECT without parameters (the same SQL on both backends). */
  select: (sql: string) => Promise<Record<string, unknown>[]>;
  /** The lease log of an item in commit order, as "op@epoch:holder". */
  leaseLog: (itemId: string) => Promise<string[]>;
  /** Moves a time column of every row of a table `ms` into the past, as if that much time had passed. */
  backdate: (table: string, column: string, ms: number) => Promise<void>;
  /** Another handle on the same database (a second process would open one). */
  reopen: () => Promise<AgentStore>;
}

export type Backend = StoreUnderTest['backend'];

/** Registers the open function of one backend's fresh stores; every store is closed and removed after its test. */
function useStore(backend: Backend): () => Promise<StoreUnderTest> {
  const tempDir = useTempDir();
  const openPg = backend === 'postgres' ? useTempPg() : undefined;
  // Registered last, so run first: extra handles close before schemas are dropped and folders removed.
  const extra: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const handle of extra.splice(0)) await handle.close();
  });
  if (openPg) {
    return async () => {
      const db = await openPg();
      return pgStore(db, tempDir(), async () => {
        const { openPgDatabase } = await import('../../src/pg/index.js');
        const again = await openPgDatabase({ connectionString: poolUrl(db), schema: db.schema });
        extra.push(again);
        return again;
      });
    };
  }
  return async () => {
    const dir = tempDir();
    const file = join(dir, 'agentos.db');
    const clock = new ManualClock();
    const db = openDatabase(file, { clock });
    extra.push(db);
    return {
      db,
      backend,
      dir,
      count: async (table) => db.sqlite.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number,
      integrity: async () => db.integrityCheck(),
      expire: async (itemId) => {
        db.sqlite.prepare('UPDATE work_items SET lease_expires_at = ? WHERE id = ?').run(clock.now() - 1, itemId);
      },
      exec: async (sql) => void db.sqlite.prepare(sql).run(),
      select: async (sql) => db.sqlite.prepare(sql).all() as Record<string, unknown>[],
      leaseLog: async (itemId) =>
        (
          db.sqlite
            .prepare('SELECT op, epoch, holder FROM lease_log WHERE item_id = ? ORDER BY seq')
            .all(itemId) as LogRow[]
        ).map(logLine),
      backdate: async (table, column, ms) => {
        db.sqlite.prepare(`UPDATE ${table} SET ${column} = ${column} - ?`).run(ms);
      },
      reopen: async () => {
        const again = openDatabase(file, { clock });
        extra.push(again);
        return again;
      },
    };
  };
}

function pgStore(db: PgDatabase, dir: string, reopen: () => Promise<AgentStore>): StoreUnderTest {
  return {
    db,
    backend: 'postgres',
    dir,
    count: async (table) => (await db.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table}`))[0]?.n ?? 0,
    integrity: async () => {
      const { amcheck } = await import('../../harness/subjects/amcheck.js');
      return amcheck(db.pool, db.schema);
    },
    expire: async (itemId) => {
      await db.query('UPDATE work_items SET lease_expires_at = agentos_now_ms() - 1 WHERE id = $1', [itemId]);
    },
    exec: async (sql) => void (await db.query(sql)),
    select: (sql) => db.query(sql),
    leaseLog: async (itemId) =>
      (await db.query<LogRow>('SELECT op, epoch, holder FROM lease_log WHERE item_id = $1 ORDER BY seq', [itemId])).map(
        logLine,
      ),
    backdate: async (table, column, ms) => {
      await db.query(`UPDATE ${table} SET ${column} = ${column} - $1`, [ms]);
    },
    reopen,
  };
}

interface LogRow {
  op: string;
  epoch: number;
  holder: string;
}

function logLine(r: LogRow): string {
  return `${r.op}@${r.epoch}:${r.holder}`;
}

function poolUrl(db: PgDatabase): string {
  return (db.pool.options as { connectionString: string }).connectionString;
}

/**
 * A contract suite: `body` runs once per backend, SQLite and PostgreSQL (skipped, with the reason printed once, when
 * no server answers), with a function that opens a fresh store of that backend.
 */
export function describeEachStore(
  title: string,
  body: (open: () => Promise<StoreUnderTest>, backend: Backend) => void,
) {
  for (const backend of ['sqlite', 'postgres'] as const) {
    describe.skipIf(backend === 'postgres' && pgSkipReason !== undefined)(`${title} [${backend}]`, () => {
      body(useStore(backend), backend);
    });
  }
}
