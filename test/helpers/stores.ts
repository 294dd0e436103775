import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import type { WorkerSubjectConfig } from '../../harness/subject.js';
import { builtPath } from '../../harness/workers/build.js';
import type { HolderColumns } from '../../src/holder-identity.js';
import { ManualClock, openDatabase, type AgentDatabase } from '../../src/index.js';
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
  /** Ends a lease by the store's clock, as if its time had run out (no waiting), nobody taking it over. */
  expire: (itemId: string) => Promise<void>;
  /** Runs a statement without parameters (the same SQL on both backends). */
  exec: (sql: string) => Promise<void>;
  /** The rows of a SELECT without parameters (the same SQL on both backends). */
  select: (sql: string) => Promise<Record<string, unknown>[]>;
  /** The lease log of an item in commit order, as "op@epoch:holder". */
  leaseLog: (itemId: string) => Promise<string[]>;
  /** Moves a time column of every row of a table `ms` into the past, as if that much time had passed. */
  backdate: (table: string, column: string, ms: number) => Promise<void>;
  /** Rewrites the recorded identity of a work item's holder, as if another process had recorded it. */
  recordHolder: (itemId: string, holder: Partial<HolderColumns>) => Promise<void>;
  /** Another handle on the same database (a second process would open one). */
  reopen: () => Promise<AgentStore>;
  /** Another handle on the same database under another name: a symlink to the file; localhost for 127.0.0.1. */
  alias: () => Promise<AgentStore>;
  /** Where a worker process (harness/workers) finds this store. */
  worker: { dbPath: string; runDir: string; subject: WorkerSubjectConfig };
}

export type Backend = StoreUnderTest['backend'];

/** No statement of this handle is running or waiting (SQLite's are synchronous: always). */
export function idle(db: AgentStore): boolean {
  if (db.backend === 'sqlite') return true;
  const { pool } = db as PgDatabase;
  return pool.waitingCount === 0 && pool.idleCount === pool.totalCount;
}

/** Registers the open function of one backend's fresh stores; every store is closed and removed after its test. */
function useStore(backend: Backend): () => Promise<StoreUnderTest> {
  const tempDir = useTempDir();
  const openPg = backend === 'postgres' ? useTempPg() : undefined;
  // Registered last, so run first: extra handles close before schemas are dropped and folders removed.
  const extra: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const handle of extra.splice(0)) await handle.close();
  });
  const keep = <T extends { close(): unknown }>(handle: T): T => (extra.push(handle), handle);
  if (openPg) return async () => pgStore(await openPg(), tempDir(), keep);
  return async () => {
    const dir = tempDir();
    const file = join(dir, 'agentos.db');
    const clock = new ManualClock();
    return sqliteStore(keep(openDatabase(file, { clock })), dir, clock, keep);
  };
}

function sqliteStore(
  db: AgentDatabase,
  dir: string,
  clock: ManualClock,
  keep: <T extends { close(): unknown }>(handle: T) => T,
): StoreUnderTest {
  let aliases = 0;
  return {
    db,
    backend: 'sqlite',
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
    recordHolder: async (itemId, holder) => {
      const [set, values] = assignments(holder, () => '?');
      db.sqlite.prepare(`UPDATE work_items SET ${set} WHERE id = ?`).run(...values, itemId);
    },
    reopen: async () => keep(openDatabase(db.path, { clock })),
    alias: async () => {
      const link = join(dir, `alias-${++aliases}.db`);
      symlinkSync(db.path, link);
      return keep(openDatabase(link, { clock }));
    },
    worker: {
      dbPath: db.path,
      runDir: dir,
      subject: { name: 'agentos-sqlite', runDir: dir, module: builtPath('harness/subjects/agentos-sqlite.ts') },
    },
  };
}

function pgStore(db: PgDatabase, dir: string, keep: <T extends { close(): unknown }>(handle: T) => T): StoreUnderTest {
  const url = poolUrl(db);
  const openAt = async (connectionString: string) => {
    const { openPgDatabase } = await import('../../src/pg/index.js');
    return keep(await openPgDatabase({ connectionString, schema: db.schema }));
  };
  return {
    db,
    backend: 'postgres',
    dir,
    count: async (table) => (await db.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table}`))[0]?.n ?? 0,
    integrity: async () => {
      const { amcheck } = await import('../../harness/postgres/amcheck.js');
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
    recordHolder: async (itemId, holder) => {
      const [set, values] = assignments(holder, (i) => `$${i + 2}`);
      await db.query(`UPDATE work_items SET ${set} WHERE id = $1`, [itemId, ...values]);
    },
    reopen: () => openAt(url),
    alias: () => openAt(otherHostName(url)),
    worker: {
      dbPath: join(dir, 'agentos.db'),
      runDir: dir,
      subject: {
        name: 'agentos-postgres',
        runDir: dir,
        module: builtPath('harness/subjects/agentos-postgres.ts'),
        pgUrl: url,
        schema: db.schema,
      },
    },
  };
}

/** "column = placeholder, …" and the values, for the holder columns given. */
function assignments(holder: Partial<HolderColumns>, placeholder: (i: number) => string): [string, unknown[]] {
  const entries = Object.entries(holder);
  return [entries.map(([column], i) => `${column} = ${placeholder(i)}`).join(', '), entries.map(([, v]) => v)];
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

/** The same server under its other local name: 127.0.0.1 as localhost and back. */
function otherHostName(connectionString: string): string {
  const url = new URL(connectionString);
  if (url.hostname === '127.0.0.1') url.hostname = 'localhost';
  else if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  else throw new Error(`alias() needs the server as 127.0.0.1 or localhost, got ${url.hostname}`);
  return url.toString();
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
