import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { ToolLedgerApi } from '../../src/backend.js';
import {
  CheckpointManager,
  LeaseManager,
  ManualClock,
  TaskRunner,
  ToolLedger,
  openDatabase,
  type AgentDatabase,
  type TaskDefinition,
  type TaskRunResult,
  type TaskRunnerOptions,
  type TaskStatus,
} from '../../src/index.js';
import { PgToolLedger, openPgDatabase, type PgDatabase } from '../../src/pg/index.js';
import { useTempDir } from './temp-db.js';
import { pgSkipReason, useTempPg } from './temp-pg.js';

/**
 * One open database of either backend, as a contract test uses it: the same calls (awaited) on SQLite and PostgreSQL.
 */
export interface ContractDb {
  readonly name: 'sqlite' | 'postgres';
  /** The handle's database identity (`identity` of AgentDatabase / PgDatabase). */
  readonly identity: string;
  /** A fresh directory for the test's commands and side-effect files. */
  readonly dir: string;
  checkpoints(): CheckpointManager;
  leases(workerId: string, leaseDurationMs: number): LeaseManager;
  tools(): ToolLedgerApi;
  runner<S>(definition: TaskDefinition<S>, options: TaskRunnerOptions<S>): ContractRunner<S>;
  /**
   * Ends the item's lease by the database's own clock, nobody taking it over: SQLite's injected ManualClock is moved
   * to the lease's expiry; PostgreSQL has no clock to inject, so the lease's expiry is moved to the server's now.
   */
  expire(itemId: string): Promise<void>;
  /** A second handle to this same database under another name: a symlink to the file; localhost for 127.0.0.1. */
  alias(): Promise<ContractDb>;
  /** No statement of this handle is running or waiting (SQLite's are synchronous: always). */
  idle(): boolean;
}

export interface ContractRunner<S> {
  run(taskId: string): Promise<TaskRunResult<S>>;
  status(taskId: string): Promise<{ status: TaskStatus; error: string | null } | null>;
}

export interface ContractBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Why this backend's half is skipped here, or undefined. */
  readonly skip: string | undefined;
  /** Registers the clean-up hooks (call it inside a describe); the function it returns opens a fresh database. */
  readonly use: () => () => Promise<ContractDb>;
}

const sqlite: ContractBackend = {
  name: 'sqlite',
  skip: undefined,
  use: () => {
    const tempDir = useTempDir();
    const open: AgentDatabase[] = [];
    // Registered after the helpers' own hooks, so it runs before them (after-hooks run in reverse order).
    afterEach(() => {
      for (const db of open.splice(0)) db.close();
    });
    const handle = (db: AgentDatabase, clock: ManualClock, dir: string): ContractDb => ({
      name: 'sqlite',
      identity: db.identity,
      dir,
      checkpoints: () => new CheckpointManager(db, { baseDir: dir }),
      leases: (workerId, leaseDurationMs) => new LeaseManager(db, { workerId, leaseDurationMs }),
      tools: () => new ToolLedger(db),
      runner: (definition, options) => {
        const runner = new TaskRunner(db, new CheckpointManager(db, { baseDir: dir }), definition, options);
        return { run: (taskId) => runner.run(taskId), status: (taskId) => runner.status(taskId) };
      },
      expire: (itemId) => {
        const expiresAt = db.sqlite.prepare('SELECT lease_expires_at FROM work_items WHERE id = ?').pluck().get(itemId);
        if (typeof expiresAt !== 'number') throw new Error(`work item "${itemId}" holds no lease`);
        clock.set(Math.max(clock.now(), expiresAt));
        return Promise.resolve();
      },
      alias: () => {
        const link = join(dir, `alias-${open.length}.db`);
        symlinkSync(db.path, link);
        const again = openDatabase(link, { clock });
        open.push(again);
        return Promise.resolve(handle(again, clock, dir));
      },
      idle: () => true,
    });
    return () => {
      const dir = tempDir();
      const clock = new ManualClock();
      const db = openDatabase(join(dir, 'agentos.db'), { clock });
      open.push(db);
      return Promise.resolve(handle(db, clock, dir));
    };
  },
};

const postgres: ContractBackend = {
  name: 'postgres',
  skip: pgSkipReason,
  use: () => {
    const openPg = useTempPg();
    const tempDir = useTempDir();
    const aliases: PgDatabase[] = [];
    // Registered after the helpers' own hooks, so it runs before them (after-hooks run in reverse order).
    afterEach(async () => {
      for (const db of aliases.splice(0)) await db.close();
    });
    const handle = (db: PgDatabase, dir: string): ContractDb => ({
      name: 'postgres',
      identity: db.identity,
      dir,
      checkpoints: () => new CheckpointManager(db, { baseDir: dir }),
      leases: (workerId, leaseDurationMs) => new LeaseManager(db, { workerId, leaseDurationMs }),
      tools: () => new PgToolLedger(db),
      runner: (definition, options) => {
        const runner = new TaskRunner(db, new CheckpointManager(db, { baseDir: dir }), definition, options);
        return { run: (taskId) => runner.run(taskId), status: (taskId) => runner.status(taskId) };
      },
      expire: async (itemId) => {
        const rows = await db.query(
          "UPDATE work_items SET lease_expires_at = agentos_now_ms() WHERE id = $1 AND status = 'leased' RETURNING 1",
          [itemId],
        );
        if (rows.length === 0) throw new Error(`work item "${itemId}" holds no lease`);
      },
      alias: async () => {
        const again = await openPgDatabase({ connectionString: otherHostName(poolUrl(db)), schema: db.schema });
        aliases.push(again);
        return handle(again, dir);
      },
      idle: () => db.pool.waitingCount === 0 && db.pool.idleCount === db.pool.totalCount,
    });
    return async () => handle(await openPg(), tempDir());
  },
};

/** Both backends, for describe.each. */
export const BACKENDS: readonly ContractBackend[] = [sqlite, postgres];

function poolUrl(db: PgDatabase): string {
  return (db.pool.options as { connectionString: string }).connectionString;
}

/** The same server under its other local name: 127.0.0.1 as localhost and back. */
function otherHostName(connectionString: string): string {
  const url = new URL(connectionString);
  if (url.hostname === '127.0.0.1') url.hostname = 'localhost';
  else if (url.hostname === 'localhost') url.hostname = '127.0.0.1';
  else throw new Error(`the alias test needs the server as 127.0.0.1 or localhost, got ${url.hostname}`);
  return url.toString();
}
