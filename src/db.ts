import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from './clock.js';
import { DatabaseOpenError } from './errors.js';
import { Fencing } from './fencing.js';
import { SCHEMA_LABELS, currentSchemaVersion, loadMigrations, migrate } from './migrations.js';

export type Durability = 'normal' | 'full';

export interface OpenDatabaseOptions {
  /** 'normal' (default): WAL + synchronous=NORMAL, a commit survives a process crash. 'full': also an OS crash. */
  durability?: Durability;
  /** How long a writer waits for the write lock before SQLITE_BUSY surfaces. Default 60 s. */
  busyTimeoutMs?: number;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  clock?: Clock;
}

/** An open recovery-layer database: the better-sqlite3 handle plus the one write path every component uses. */
export class AgentDatabase {
  readonly #runInTransaction: { immediate: (fn: () => unknown) => unknown };
  #fencing: Fencing | undefined;

  constructor(
    readonly sqlite: Database.Database,
    readonly path: string,
    readonly durability: Durability,
    readonly clock: Clock,
  ) {
    this.#runInTransaction = sqlite.transaction((fn: () => unknown) => fn());
  }

  /**
   * Runs fn inside BEGIN IMMEDIATE … COMMIT: the write lock is taken up front, so a writer never fails on a
   * read-to-write upgrade; fn's throw rolls everything back. Writers in other processes wait in SQLite's busy handler.
   * Called inside another write transaction, fn runs in a savepoint of it.
   */
  writeTransaction<T>(fn: () => T): T {
    return this.#runInTransaction.immediate(fn) as T;
  }

  /** The fencing rule every write made under a lease goes through (see fencing.ts). */
  get fencing(): Fencing {
    return (this.#fencing ??= new Fencing(this.sqlite));
  }

  /** Highest applied migration number. */
  get schemaVersion(): number {
    return currentSchemaVersion(this.sqlite);
  }

  /** The version label of the applied schema, e.g. "0.30.0". */
  get schemaLabel(): string {
    return SCHEMA_LABELS[this.schemaVersion] ?? `migration-${this.schemaVersion}`;
  }

  /** PRAGMA integrity_check: ['ok'] when the file is sound. */
  integrityCheck(): string[] {
    const rows = this.sqlite.pragma('integrity_check') as Record<string, unknown>[];
    return rows.map((row) => String(Object.values(row)[0]));
  }

  close(): void {
    if (this.sqlite.open) this.sqlite.close();
  }
}

/**
 * Opens (creating if needed) a recovery-layer database: WAL, the durability chosen, a generous busy timeout, the
 * seed's cache/temp/mmap pragmas, then pending migrations. Errors name the file.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): AgentDatabase {
  const durability = options.durability ?? 'normal';
  if (durability !== 'normal' && durability !== 'full') {
    throw new DatabaseOpenError(path, `durability must be 'normal' or 'full', got ${JSON.stringify(durability)}`);
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 60_000;
  const clock = options.clock ?? systemClock;
  const file = path === ':memory:' ? path : resolve(path);
  if (file !== ':memory:') {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (cause) {
      throw new DatabaseOpenError(file, `its directory ${dirname(file)} cannot be created`, { cause });
    }
  }
  let sqlite: Database.Database | undefined;
  try {
    sqlite = new Database(file, { timeout: busyTimeoutMs });
    sqlite.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('cache_size = -64000');
    sqlite.pragma('temp_store = MEMORY');
    sqlite.pragma('mmap_size = 268435456');
    if (options.migrate ?? true) migrate(sqlite, loadMigrations(), clock.now());
  } catch (cause) {
    sqlite?.close();
    const message = cause instanceof Error ? cause.message : String(cause);
    const hint = /not a database|malformed/i.test(message) ? ' (the file exists but is not a SQLite database)' : '';
    throw new DatabaseOpenError(file, `${message}${hint}`, { cause });
  }
  return new AgentDatabase(sqlite, file, durability, clock);
}
