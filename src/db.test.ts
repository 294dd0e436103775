import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDb, useTempDir } from '../test/helpers/temp-db.js';
import { DatabaseOpenError, openDatabase } from './index.js';
import { loadMigrations } from './migrations.js';

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
    expect(db.schemaLabel).toBe('0.31.0');
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
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('rejects an unknown durability mode', () => {
    // @ts-expect-error testing a value outside the type
    expect(() => openDatabase(join(tempDir(), 'x.db'), { durability: 'fast' })).toThrow(/durability must be 'normal' or 'full'/);
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
