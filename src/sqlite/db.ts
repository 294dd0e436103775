import { randomUUID } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../clock.js';
import { DatabaseCorruptError, DatabaseOpenError, DiskFullError } from '../errors.js';
import { Fencing } from './fencing.js';
import { assertLayerDatabase } from './mark.js';
import { SCHEMA_LABELS, assertSchemaNotNewer, currentSchemaVersion, loadMigrations, migrate } from '../migrations.js';
import { createPrivateFile, createPrivateFolder, warnIfNotPrivate } from './private-files.js';
import { SqliteCacheStore } from './cache-store.js';
import { SqliteCheckpointStore } from './checkpoint-store.js';
import { SqliteLeaseStore } from './lease-store.js';
import { SqliteSweepStore } from './sweep-store.js';
import { SqliteSaverStore } from './saver-store.js';
import { SqliteTaskStore } from './task-store.js';
import { SqliteToolStore } from './tool-store.js';
import type { AgentStore } from '../store.js';
import { InvalidArgumentError } from '../validate.js';

export type Durability = 'normal' | 'full';

/**
 * The pragmas every connection of the layer runs: WAL, the durability chosen, and the seed's cache, temp-store and
 * mmap sizes. A peer measured beside the layer (LangGraph's SqliteSaver) gets the same, for a fair comparison.
 */
export function connectionPragmas(durability: Durability): string[] {
  return [
    'journal_mode = WAL',
    `synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`,
    'foreign_keys = ON',
    'cache_size = -64000',
    'temp_store = MEMORY',
    'mmap_size = 268435456',
  ];
}

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
export class AgentDatabase implements AgentStore {
  readonly backend = 'sqlite';
  readonly #runInTransaction: { immediate: (fn: () => unknown) => unknown };
  #fencing: Fencing | undefined;
  #checkpointStore: SqliteCheckpointStore | undefined;
  #cacheStore: SqliteCacheStore | undefined;
  #leaseStore: SqliteLeaseStore | undefined;
  #taskStore: SqliteTaskStore | undefined;
  #sweepStore: SqliteSweepStore | undefined;
  #saverStore: SqliteSaverStore | undefined;
  #toolStore: SqliteToolStore | undefined;

  constructor(
    readonly sqlite: Database.Database,
    readonly path: string,
    readonly durability: Durability,
    readonly clock: Clock,
    /**
     * Which database this is, whatever name it was opened under: the main file's device and inode, read at open (a
     * symlink, a hard link or another spelling of the path gives the same); unique per handle for ':memory:'. What
     * this process shares between handles of one database (tool calls in flight) is keyed by it.
     */
    readonly identity: string,
  ) {
    this.#runInTransaction = sqlite.transaction((fn: () => unknown) => fn());
  }

  /**
   * Runs fn inside BEGIN IMMEDIATE … COMMIT: the write lock is taken up front, so a writer never fails on a
   * read-to-write upgrade; fn's throw rolls everything back. Writers in other processes wait in SQLite's busy handler.
   * Called inside another write transaction, fn runs in a savepoint of it.
   */
  writeTransaction<T>(fn: () => T): T {
    try {
      return this.#runInTransaction.immediate(fn) as T;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_FULL') throw new DiskFullError(this.path, { cause: error });
      throw error;
    }
  }

  get label(): string {
    return this.path;
  }

  get checkpointStore(): SqliteCheckpointStore {
    return (this.#checkpointStore ??= new SqliteCheckpointStore(this));
  }

  get cacheStore(): SqliteCacheStore {
    return (this.#cacheStore ??= new SqliteCacheStore(this));
  }

  get leaseStore(): SqliteLeaseStore {
    return (this.#leaseStore ??= new SqliteLeaseStore(this));
  }

  get taskStore(): SqliteTaskStore {
    return (this.#taskStore ??= new SqliteTaskStore(this));
  }

  get sweepStore(): SqliteSweepStore {
    return (this.#sweepStore ??= new SqliteSweepStore(this));
  }

  get saverStore(): SqliteSaverStore {
    return (this.#saverStore ??= new SqliteSaverStore(this));
  }

  get toolStore(): SqliteToolStore {
    return (this.#toolStore ??= new SqliteToolStore(this));
  }

  /** The fencing rule every write made under a lease goes through (see fencing.ts). */
  get fencing(): Fencing {
    return (this.#fencing ??= new Fencing(this.sqlite, this.clock));
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
 * seed's cache/temp/mmap pragmas, then pending migrations. Options are checked before the file system is touched; an
 * existing file is inspected without writing to it and refused, unchanged, when it is not SQLite, is corrupt, belongs
 * to another application or was written by a newer schema. Errors name the file.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): AgentDatabase {
  const { durability, busyTimeoutMs, migrate: migrateOnOpen, clock } = checkOptions(path, options);
  const file = path === ':memory:' ? path : resolve(path);
  if (file !== ':memory:') prepareFile(file, busyTimeoutMs);
  let sqlite: Database.Database | undefined;
  let identity: string;
  try {
    sqlite = new Database(file, { timeout: busyTimeoutMs });
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
    for (const pragma of connectionPragmas(durability)) sqlite.pragma(pragma);
    if (migrateOnOpen) migrate(sqlite, loadMigrations(), clock.now());
    identity = fileIdentity(file);
    if (file !== ':memory:') warnIfNotPrivate(file);
  } catch (cause) {
    sqlite?.close();
    throw openError(file, cause);
  }
  return new AgentDatabase(sqlite, file, durability, clock, identity);
}

/** The identity of the database file SQLite has open (it exists by now): its device and inode. */
function fileIdentity(file: string): string {
  if (file === ':memory:') return `sqlite:memory:${randomUUID()}`;
  const { dev, ino } = statSync(file, { bigint: true });
  return `sqlite:${dev}:${ino}`;
}

const OPTION_NAMES: readonly string[] = ['durability', 'busyTimeoutMs', 'migrate', 'clock'];
const MAX_BUSY_TIMEOUT_MS = 2_147_483_647; // better-sqlite3's limit for its timeout
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Every option, checked before anything touches the file system; errors name the path, the option and what is valid. */
function checkOptions(path: unknown, options: unknown): Required<OpenDatabaseOptions> {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw new InvalidArgumentError(`openDatabase: path must be a non-empty file path or ':memory:', got ${show(path)}`);
  }
  const invalid = (message: string) => new InvalidArgumentError(`openDatabase("${path}"): ${message}`);
  if (typeof options !== 'object' || options === null) throw invalid(`options must be an object, got ${show(options)}`);
  const unknown = Object.keys(options).find((key) => !OPTION_NAMES.includes(key));
  if (unknown !== undefined) throw invalid(`unknown option "${unknown}"; the options are ${OPTION_NAMES.join(', ')}`);
  const {
    durability = 'normal',
    busyTimeoutMs = 60_000,
    migrate = true,
    clock = systemClock,
  } = options as OpenDatabaseOptions;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a caller may be untyped JavaScript
  if (durability !== 'normal' && durability !== 'full') {
    throw invalid(`durability must be 'normal' or 'full', got ${show(durability)}`);
  }
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > MAX_BUSY_TIMEOUT_MS) {
    throw invalid(
      `busyTimeoutMs must be an integer from 0 to ${MAX_BUSY_TIMEOUT_MS} (milliseconds), got ${show(busyTimeoutMs)}`,
    );
  }
  if (typeof migrate !== 'boolean') throw invalid(`migrate must be true or false, got ${show(migrate)}`);
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a caller may be untyped JavaScript
  if (typeof clock !== 'object' || clock === null || typeof (clock as Partial<Clock>).now !== 'function') {
    throw invalid(`clock must be an object with a now() method, got ${show(clock)}`);
  }
  return { durability, busyTimeoutMs, migrate, clock };
}

/**
 * Before SQLite opens the file: refuses (leaving the disk as it was) a path that is not a regular file, a file or
 * folder this process cannot read and write, and an existing file this layer must not open; creates a missing folder.
 */
function prepareFile(file: string, busyTimeoutMs: number): void {
  let stats: Stats | undefined;
  try {
    stats = statSync(file, { throwIfNoEntry: false });
  } catch (cause) {
    throw new DatabaseOpenError(file, `it cannot be looked up: ${(cause as Error).message}`, { cause });
  }
  if (stats && !stats.isFile()) throw new DatabaseOpenError(file, 'it exists but is not a regular file');
  if (!stats) {
    try {
      createPrivateFolder(dirname(file));
    } catch (cause) {
      throw new DatabaseOpenError(
        file,
        `its directory ${dirname(file)} cannot be created: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
  assertPermissions(file, stats !== undefined);
  if (stats && stats.size > 0) inspect(file, busyTimeoutMs);
  if (!stats) createFile(file);
}

/** SQLite would create the file with its default mode (0644 less the umask); the layer creates it private. */
function createFile(file: string): void {
  try {
    createPrivateFile(file);
  } catch (cause) {
    throw new DatabaseOpenError(file, `it cannot be created: ${(cause as Error).message}`, { cause });
  }
}

/** Root passes these checks, as it passes SQLite's. */
function assertPermissions(file: string, exists: boolean): void {
  const who = `this process (uid ${process.getuid?.() ?? 'unknown'})`;
  for (const path of exists ? [file, `${file}-wal`, `${file}-shm`] : []) {
    if (path !== file && !existsSync(path)) continue;
    const missing = [can(path, constants.R_OK) ? '' : 'readable', can(path, constants.W_OK) ? '' : 'writable'];
    const what = missing.filter(Boolean).join(' or ');
    if (what)
      throw new DatabaseOpenError(file, `file ${path} is not ${what} by ${who}: SQLite needs to read and write it`);
  }
  const dir = dirname(file);
  const creates = exists ? 'its -wal and -shm files' : 'the database and its -wal and -shm files';
  const mustCreate = !exists || !existsSync(`${file}-wal`) || !existsSync(`${file}-shm`);
  if (mustCreate && !can(dir, constants.W_OK | constants.X_OK)) {
    throw new DatabaseOpenError(
      file,
      `directory ${dir} is not writable by ${who}: SQLite needs to create ${creates} there`,
    );
  }
}

/**
 * Reads an existing, non-empty file without writing to it, and refuses one that is not SQLite, is corrupt, belongs
 * to another application (neither this layer's mark nor, written before the mark, its shape; see mark.ts) or records a
 * newer schema than this code knows.
 */
function inspect(file: string, busyTimeoutMs: number): void {
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
    throw new DatabaseOpenError(
      file,
      'it is not a SQLite database (its first 16 bytes are not "SQLite format 3"); it was left unchanged',
    );
  }
  // Byte 18 is 2 in WAL mode. A read-only connection would create -wal and -shm and leave them; with no -wal yet, a
  // read-write connection that only reads writes nothing and removes both on close, under SQLite's own locks.
  const readonly = header[18] !== 2 || existsSync(`${file}-wal`);
  let probe: Database.Database | undefined;
  try {
    probe = new Database(file, { readonly, fileMustExist: true, timeout: busyTimeoutMs });
    assertLayerDatabase(probe, file);
    assertSchemaNotNewer(probe, loadMigrations().length);
  } catch (cause) {
    throw openError(file, cause);
  } finally {
    probe?.close();
  }
}

/** SQLite's corruption codes become DatabaseCorruptError (the file's header was checked first); errors name the file. */
function openError(file: string, cause: unknown): DatabaseOpenError {
  if (cause instanceof DatabaseOpenError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = cause instanceof Error ? (cause as Error & { code?: unknown }).code : undefined;
  if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) {
    return new DatabaseCorruptError(
      file,
      `it is corrupt: it has a SQLite header but SQLite reports "${message}"; restore it from a backup`,
      { cause },
    );
  }
  return new DatabaseOpenError(file, message, { cause });
}

function can(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return `${typeof value} ${String(value)}`;
  return 'an object';
}
