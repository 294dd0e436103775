import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { builtPath } from '../../harness/workers/build.js';
import { useTempDb, useTempDir } from '../../test/helpers/temp-db.js';
import {
  DatabaseCorruptError,
  DatabaseOpenError,
  ForeignDatabaseError,
  InvalidArgumentError,
  ManualClock,
  SCHEMA_LABELS,
  SchemaTooNewError,
  openDatabase,
} from '../index.js';
import { loadMigrations } from '../migrations.js';

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const isRoot = process.getuid?.() === 0;
const hasSetpriv = (() => {
  try {
    execFileSync('setpriv', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
// Root bypasses permission bits through its capabilities: as root, the open runs in a child process without any.
const canTestPermissions = !isRoot || hasSetpriv;
if (!canTestPermissions)
  console.warn('db.test.ts: permission test skipped: running as root and setpriv (util-linux) is missing');

/** Opens path in a child process (without capabilities when this process is root); returns "opened" or "<error name>: <message>". */
function openInChild(path: string): string {
  const script =
    `const { openDatabase } = await import(${JSON.stringify(pathToFileURL(builtPath('src/index.ts')).href)});` +
    `try { openDatabase(process.argv[1]).close(); console.log('opened'); } catch (e) { console.log(e.name + ': ' + e.message); }`;
  const node = [process.execPath, '--input-type=module', '-e', script, path];
  const [cmd, ...args] = isRoot ? ['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--', ...node] : node;
  return execFileSync(cmd!, args, { encoding: 'utf8' }).trim();
}

describe('openDatabase', () => {
  const tempDb = useTempDb();
  const tempDir = useTempDir();

  it('uses WAL, NORMAL by default and FULL on request, with the seed pragmas', () => {
    const { db } = tempDb();
    expect(db.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.sqlite.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.sqlite.pragma('cache_size', { simple: true })).toBe(-64000);
    expect(db.sqlite.pragma('temp_store', { simple: true })).toBe(2);
    const full = tempDb({ durability: 'full' }).db;
    expect(full.sqlite.pragma('synchronous', { simple: true })).toBe(2);
    expect(full.durability).toBe('full');
  });

  it('applies migrations once and reports the schema version', () => {
    const { db, dir } = tempDb();
    const path = join(dir, 'agentos.db');
    expect(db.schemaVersion).toBe(loadMigrations().length);
    expect(db.schemaLabel).toBe(SCHEMA_LABELS[loadMigrations().length]);
    const before = db.sqlite.prepare('SELECT version, applied_at FROM schema_migrations').all();
    db.close();
    const again = openDatabase(path);
    expect(again.sqlite.prepare('SELECT version, applied_at FROM schema_migrations').all()).toEqual(before);
    const tables = again.sqlite.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").pluck().get();
    again.close();
    const third = openDatabase(path);
    expect(third.sqlite.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").pluck().get()).toBe(tables);
    third.close();
  });

  it('creates a missing directory', () => {
    const path = join(tempDir(), 'a', 'b', 'c.db');
    const db = openDatabase(path);
    db.close();
    expect(existsSync(path)).toBe(true);
  });

  it('names the file when it is not a SQLite database, and leaves it untouched', () => {
    const path = join(tempDir(), 'random.db');
    const bytes = Buffer.alloc(8192, 0x5a);
    writeFileSync(path, bytes);
    expect(() => openDatabase(path)).toThrow(DatabaseOpenError);
    expect(() => openDatabase(path)).toThrow(/random\.db.*not a (SQLite )?database/);
    expect(() => openDatabase(path)).not.toThrow(DatabaseCorruptError);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('rejects an unknown durability mode', () => {
    // @ts-expect-error testing a value outside the type
    expect(() => openDatabase(join(tempDir(), 'x.db'), { durability: 'fast' })).toThrow(
      /durability must be 'normal' or 'full'/,
    );
  });

  it('refuses a file written by a newer schema (schema_migrations), naming both versions, and leaves it unchanged', () => {
    const { db, dir } = tempDb();
    const path = join(dir, 'agentos.db');
    db.sqlite.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 1)").run();
    db.close();
    const hash = sha256(path);
    const known = loadMigrations().length;
    expect(() => openDatabase(path)).toThrow(SchemaTooNewError);
    expect(() => openDatabase(path, { migrate: false })).toThrow(SchemaTooNewError);
    expect(() => openDatabase(path)).toThrow(
      new RegExp(`agentos\\.db.*version 99 but this code knows versions up to ${known}\\b`),
    );
    expect(sha256(path)).toBe(hash);
    expect(readdirSync(dir)).toEqual(['agentos.db']);
  });

  it('refuses a file whose user_version is newer than this code knows', () => {
    const { db, dir } = tempDb();
    const path = join(dir, 'agentos.db');
    db.sqlite.pragma('user_version = 99');
    db.close();
    const hash = sha256(path);
    let error: unknown;
    try {
      openDatabase(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(error).toMatchObject({ path, fileVersion: 99, knownVersion: loadMigrations().length });
    expect(sha256(path)).toBe(hash);
  });

  it.each(['delete', 'wal'])(
    "refuses another application's SQLite file (%s journal) and leaves it byte-identical",
    (mode) => {
      const dir = tempDir();
      const path = join(dir, 'other.db');
      const other = new Database(path);
      other.pragma(`journal_mode = ${mode}`);
      other.exec(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('ada')",
      );
      other.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER)');
      other.close();
      const hash = sha256(path);
      expect(() => openDatabase(path)).toThrow(ForeignDatabaseError);
      expect(() => openDatabase(path)).toThrow(/other\.db.*another application.*table customers, table orders/);
      expect(sha256(path)).toBe(hash);
      expect(readdirSync(dir)).toEqual(['other.db']);
    },
  );

  it('turns an empty file, or a SQLite file without any table, into a new database', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'zero.db'), '', { mode: 0o600 }); // private, as the layer's own: no warning
    const blank = new Database(join(dir, 'blank.db'));
    blank.exec('CREATE TABLE t (x); DROP TABLE t');
    blank.close();
    chmodSync(join(dir, 'blank.db'), 0o600);
    for (const name of ['zero.db', 'blank.db']) {
      const db = openDatabase(join(dir, name));
      expect(db.schemaVersion).toBe(loadMigrations().length);
      db.close();
    }
  });

  it("reports a SQLite file with damaged pages as corrupt, with SQLite's message as the cause", () => {
    const { db, dir } = tempDb();
    const path = join(dir, 'agentos.db');
    const insert = db.sqlite.prepare(
      "INSERT INTO tasks (id, status, created_at, updated_at) VALUES (?, 'running', 1, 1)",
    );
    db.writeTransaction(() => {
      for (let i = 0; i < 500; i++) insert.run(`task-${i}-${'x'.repeat(100)}`);
    });
    db.close();
    const pageSize = 4096;
    const fd = openSync(path, 'r+');
    // Keep the 100-byte file header (a valid "SQLite format 3" file), overwrite the rest of the first three pages.
    writeSync(fd, Buffer.alloc(3 * pageSize - 100, 0xab), 0, 3 * pageSize - 100, 100);
    closeSync(fd);
    const hash = sha256(path);
    let error: unknown;
    try {
      openDatabase(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DatabaseCorruptError);
    expect((error as Error).message).toMatch(/agentos\.db.*is corrupt/);
    expect((error as Error).message).not.toMatch(/not a SQLite database/);
    expect(((error as Error).cause as Error).message).toMatch(/malformed/);
    expect(sha256(path)).toBe(hash);
    expect(readdirSync(dir)).toEqual(['agentos.db']);
  });

  it.each([
    ['durability', 'fast', /durability must be 'normal' or 'full', got "fast"/],
    ['busyTimeoutMs', -1, /busyTimeoutMs must be an integer from 0 to 2147483647/],
    ['busyTimeoutMs', 1.5, /busyTimeoutMs must be an integer/],
    ['busyTimeoutMs', '100', /busyTimeoutMs must be an integer/],
    ['migrate', 'yes', /migrate must be true or false/],
    ['clock', {}, /clock must be an object with a now\(\) method/],
    ['clock', null, /clock must be an object with a now\(\) method/],
    ['durabilty', 'full', /unknown option "durabilty".*durability, busyTimeoutMs, migrate, clock/],
  ])('rejects option %s = %j before touching the file system', (key, value, message) => {
    const dir = tempDir();
    const path = join(dir, 'sub', 'x.db');
    const open = () => openDatabase(path, { clock: new ManualClock(), [key]: value });
    expect(open).toThrow(InvalidArgumentError);
    expect(open).toThrow(message);
    expect(open).toThrow(/sub\/x\.db/);
    expect(existsSync(join(dir, 'sub'))).toBe(false);
  });

  it.skipIf(!canTestPermissions)('names the folder or file an unprivileged process cannot write, and why', () => {
    const dir = tempDir();
    chmodSync(dir, 0o555); // the child may enter dir but not create files in it
    expect(openInChild(join(dir, 'new.db'))).toMatch(
      new RegExp(`^DatabaseOpenError: .*new\\.db.*directory ${dir} is not writable by this process.*-wal and -shm`),
    );
    expect(existsSync(join(dir, 'new.db'))).toBe(false);

    const open = join(dir, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    const readOnly = join(open, 'read-only.db');
    openDatabase(readOnly).close();
    chmodSync(readOnly, 0o444);
    expect(openInChild(readOnly)).toMatch(
      /^DatabaseOpenError: .*read-only\.db.*file \S+read-only\.db is not writable by this process/,
    );
    chmodSync(readOnly, 0o000);
    expect(openInChild(readOnly)).toMatch(
      /^DatabaseOpenError: .*file \S+read-only\.db is not readable or writable by this process/,
    );

    chmodSync(readOnly, 0o666);
    chmodSync(open, 0o555); // the file is writable, its folder is not: SQLite cannot create the -wal and -shm files
    expect(openInChild(readOnly)).toMatch(
      new RegExp(`^DatabaseOpenError: .*read-only\\.db.*directory ${open} is not writable.*-wal and -shm`),
    );
    expect(readdirSync(open)).toEqual(['read-only.db']);
  });

  it('passes integrity_check', () => {
    expect(tempDb().db.integrityCheck()).toEqual(['ok']);
  });

  it('rolls a failed write transaction back', () => {
    const { db } = tempDb();
    expect(() =>
      db.writeTransaction(() => {
        db.sqlite.prepare("INSERT INTO tasks (id, status, created_at, updated_at) VALUES ('t', 'running', 1, 1)").run();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(db.sqlite.prepare('SELECT COUNT(*) FROM tasks').pluck().get()).toBe(0);
  });
});
