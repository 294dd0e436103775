import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { ForeignDatabaseError, openDatabase } from '../index.js';
import { loadMigrations, migrate } from '../migrations.js';
import { LAYER_APPLICATION_ID } from './mark.js';

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Opening path must fail with ForeignDatabaseError; returns it. */
function refusal(path: string): ForeignDatabaseError {
  let error: unknown;
  try {
    openDatabase(path).close();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ForeignDatabaseError);
  return error as ForeignDatabaseError;
}

function applicationId(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return Number(db.pragma('application_id', { simple: true }));
  } finally {
    db.close();
  }
}

describe('openDatabase: whose database it is', () => {
  const tempDir = useTempDir();

  it('refuses a golang-migrate database (schema_migrations(version, dirty)) and leaves it byte-identical', () => {
    const dir = tempDir();
    const path = join(dir, 'golang.db');
    const other = new Database(path);
    other.exec(`CREATE TABLE schema_migrations (version uint64 NOT NULL PRIMARY KEY, dirty bool NOT NULL);
      INSERT INTO schema_migrations VALUES (2, 0);
      CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)`);
    other.close();
    const hash = sha256(path);
    for (const migrateOnOpen of [true, false]) {
      let error: unknown;
      try {
        openDatabase(path, { migrate: migrateOnOpen }).close();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ForeignDatabaseError);
      expect((error as Error).message).toMatch(
        /golang\.db.*another application.*schema_migrations table has the columns \(version, dirty\), not this layer's \(version, name, applied_at\)/,
      );
    }
    expect(refusal(path).objects).toEqual([
      'table schema_migrations',
      'index sqlite_autoindex_schema_migrations_1',
      'table users',
    ]);
    expect(sha256(path)).toBe(hash);
    expect(readdirSync(dir)).toEqual(['golang.db']);
  });

  it('refuses a Rails database (schema_migrations(version) = 20240101120000) as foreign, not as a newer schema', () => {
    const dir = tempDir();
    const path = join(dir, 'rails.db');
    const other = new Database(path);
    other.pragma('journal_mode = wal');
    other.exec(`CREATE TABLE schema_migrations (version varchar NOT NULL PRIMARY KEY);
      CREATE TABLE ar_internal_metadata (key varchar NOT NULL PRIMARY KEY, value varchar);
      INSERT INTO schema_migrations VALUES ('20240101120000')`);
    other.close();
    const hash = sha256(path);
    const error = refusal(path);
    expect(error.message).toMatch(/rails\.db.*schema_migrations table has the columns \(version\), not this layer's/);
    expect(error.message).not.toMatch(/newer/);
    expect(sha256(path)).toBe(hash);
    expect(readdirSync(dir)).toEqual(['rails.db']);
  });

  it("refuses a file with this layer's tables and schema_migrations shape that carries another application's id", () => {
    const dir = tempDir();
    const path = join(dir, 'claimed.db');
    openDatabase(path).close();
    const other = new Database(path);
    other.pragma('application_id = 1196444487'); // GeoPackage's "GPKG"
    other.close();
    const hash = sha256(path);
    expect(refusal(path).message).toMatch(/claimed\.db.*application_id is 0x47504b47, not this layer's 0x/);
    expect(sha256(path)).toBe(hash);
  });

  it("refuses an unmarked file shaped like this layer's but missing its tables", () => {
    const dir = tempDir();
    const path = join(dir, 'lookalike.db');
    const other = new Database(path);
    other.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
      INSERT INTO schema_migrations VALUES (1, 'create_users', 0);
      CREATE TABLE users (id INTEGER PRIMARY KEY)`);
    other.close();
    const hash = sha256(path);
    expect(refusal(path).message).toMatch(/lookalike\.db.*no work_items table/);
    expect(sha256(path)).toBe(hash);
  });

  it("refuses an unmarked file with this layer's shape and tables whose first migration is not this layer's", () => {
    const dir = tempDir();
    const path = join(dir, 'lookalike.db');
    const other = new Database(path);
    other.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
      INSERT INTO schema_migrations VALUES (1, 'create_work_items', 0);
      CREATE TABLE work_items (id INTEGER PRIMARY KEY)`);
    other.close();
    const hash = sha256(path);
    expect(refusal(path).message).toMatch(/lookalike\.db.*records migration 1 as "create_work_items", not "initial"/);
    expect(sha256(path)).toBe(hash);
  });

  it("marks a new database with this layer's application_id", () => {
    const path = join(tempDir(), 'new.db');
    const db = openDatabase(path);
    expect(db.sqlite.pragma('application_id', { simple: true })).toBe(LAYER_APPLICATION_ID);
    db.close();
    expect(applicationId(path)).toBe(LAYER_APPLICATION_ID);
    const memory = openDatabase(':memory:');
    expect(memory.sqlite.pragma('application_id', { simple: true })).toBe(LAYER_APPLICATION_ID);
    memory.close();
  });

  it('opens and marks a database of this layer written before the mark, keeping its data', () => {
    const path = join(tempDir(), 'old.db');
    const db = openDatabase(path);
    db.sqlite.prepare("INSERT INTO tasks (id, status, created_at, updated_at) VALUES ('t1', 'running', 1, 1)").run();
    db.sqlite.pragma('application_id = 0');
    db.close();
    expect(applicationId(path)).toBe(0);
    const reopened = openDatabase(path);
    expect(reopened.schemaVersion).toBe(loadMigrations().length);
    expect(reopened.sqlite.prepare('SELECT id FROM tasks').pluck().all()).toEqual(['t1']);
    reopened.close();
    expect(applicationId(path)).toBe(LAYER_APPLICATION_ID);
  });

  it('opens, migrates and marks an unmarked database of this layer at an older schema version', () => {
    const path = join(tempDir(), 'older.db');
    const old = new Database(path);
    migrate(old, loadMigrations().slice(0, 1), 1);
    old.pragma('application_id = 0');
    old.close();
    // Private, as the layer would have made it: a wider file is opened too, with a warning this test has no use for.
    chmodSync(path, 0o600);
    expect(applicationId(path)).toBe(0);
    const db = openDatabase(path);
    expect(db.schemaVersion).toBe(loadMigrations().length);
    expect(db.sqlite.pragma('application_id', { simple: true })).toBe(LAYER_APPLICATION_ID);
    db.close();
  });
});
