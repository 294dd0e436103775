import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from './clock.js';
import { DatabaseOpenError } from './errors.js';
import { WriteQueue, type WriteOp } from './write-queue.js';
import { SCHEMA_LABELS, currentSchemaVersion, loadMigrations, migrate } from './migrations.js';

export type Durability = 'normal' | 'full';

/**
 * How writers in several processes take turns. 'busy-handler' (default): SQLite's own — waiters sleep with growing
 * back-off; whoever asks when the lock is free wins, so the tail is unfair under heavy contention. 'fair': writers
 * queue in arrival order in a request log and whoever holds the lock commits the queued writes in one transaction
 * (group commit) — a tail close to a fair queue's, at a lower throughput than the busy handler's on a small machine
 * (see the stress tests in the acceptance report).
 */
export type WriteAdmission = 'busy-handler' | 'fair';

export interface OpenDatabaseOptions {
  /** 'normal' (default): WAL + synchronous=NORMAL, a commit survives a process crash. 'full': also an OS crash. */
  durability?: Durability;
  /** How long a writer waits for the write lock before SQLITE_BUSY surfaces. Default 60 s. */
  busyTimeoutMs?: number;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  clock?: Clock;
  /** Default 'busy-handler'. */
  writeAdmission?: WriteAdmission;
}

/** An open recovery-layer database: the better-sqlite3 handle plus the one write path every component uses. */
export class AgentDatabase {
  readonly #runInTransaction: { immediate: (fn: () => unknown) => unknown };
  readonly #queue: WriteQueue | undefined;
  readonly #ops = new Map<string, WriteOp>();

  constructor(
    readonly sqlite: Database.Database,
    readonly path: string,
    readonly durability: Durability,
    readonly clock: Clock,
    readonly writeAdmission: WriteAdmission = 'busy-handler',
    busyTimeoutMs = 60_000,
  ) {
    const tx = sqlite.transaction((fn: () => unknown) => fn());
    this.#runInTransaction = tx;
    if (writeAdmission === 'fair' && path !== ':memory:') {
      this.#queue = new WriteQueue(sqlite, path, this.#ops, { timeoutMs: busyTimeoutMs });
      // Writers wait in the queue, not in the busy handler. (A PRAGMA takes effect when prepared, so it is set once.)
      sqlite.pragma('busy_timeout = 0');
    }
  }

  /**
   * Registers a named write that any process sharing the database may run on this one's behalf (with 'fair'
   * admission, the head of the queue runs the queued writes of all processes in one transaction). `fn` gets the
   * JSON parameters passed to write() and returns a JSON result; it runs inside the write transaction.
   * Every process that writes with this name must register the same function.
   */
  defineWriteOp(name: string, fn: (params: never) => unknown): void {
    this.#ops.set(name, fn as WriteOp);
  }

  /** Runs a registered write op with JSON parameters inside a write transaction and returns its result. */
  write<T>(name: string, params: unknown): T {
    const op = this.#ops.get(name);
    if (!op) throw new Error(`no write op named "${name}" is registered on ${this.path}; registered: ${[...this.#ops.keys()].join(', ') || 'none'}`);
    const run = (): unknown => op(params);
    const queue = this.#queue;
    if (!queue || this.sqlite.inTransaction) return this.writeTransaction(run) as T;
    return queue.submit(name, params, run) as T;
  }

  /**
   * Runs fn inside BEGIN IMMEDIATE … COMMIT: the write lock is taken up front, so a writer never fails on a
   * read-to-write upgrade; fn's throw rolls everything back. With 'fair' admission, fn waits its turn in arrival
   * order and runs within the batch of the writer at the head (in a savepoint: its throw rolls back only fn).
   */
  writeTransaction<T>(fn: () => T): T {
    const queue = this.#queue;
    if (!queue || this.sqlite.inTransaction) return this.#runInTransaction.immediate(fn) as T;
    return queue.submit(null, undefined, fn) as T;
  }

  /** Batches this process committed as the head of the write queue ('fair' admission; 0 otherwise). */
  get writeBatches(): number {
    return this.#queue?.batches ?? 0;
  }

  /**
   * Settles when fair write admission is fully set up in this process (its doorbell starts in the background at
   * open; until then queued writers poll for their turn with short pauses). Await it before a burst of writes.
   */
  whenAdmissionReady(): Promise<void> {
    return this.#queue?.listening ?? Promise.resolve();
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
    this.#queue?.close();
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
  const admission = options.writeAdmission ?? 'busy-handler';
  if (admission !== 'fair' && admission !== 'busy-handler') {
    sqlite.close();
    throw new DatabaseOpenError(file, `writeAdmission must be 'fair' or 'busy-handler', got ${JSON.stringify(admission)}`);
  }
  return new AgentDatabase(sqlite, file, durability, clock, admission, busyTimeoutMs);
}
