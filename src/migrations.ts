import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { SchemaTooNewError } from './errors.js';
import { LAYER_APPLICATION_ID, assertLayerDatabase, markLayerDatabase } from './sqlite/mark.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The schema label a deployment announces, by migration version ("schema v0.30.0" is migration 1), on either store. */
export const SCHEMA_LABELS: Readonly<Record<number, string>> = {
  1: '0.30.0',
  2: '0.31.0',
  3: '0.32.0',
  4: '0.33.0',
  5: '0.34.0',
  6: '0.35.0',
  7: '0.36.0',
};

const MIGRATION_DIR = /^(\d{4})_([a-z0-9_]+)$/;
const MIGRATIONS = fileURLToPath(new URL('./migrations/', import.meta.url));
const cached = new Map<string, Migration[]>();

/**
 * The migrations of one backend, in version order. One numbering for both: migration N is the folder
 * `migrations/NNNN_name/`, holding the same change for each store (`sqlite.sql`, `postgres.sql`).
 */
export function loadMigrations(backend: 'sqlite' | 'postgres' = 'sqlite', dir = MIGRATIONS): Migration[] {
  const key = `${backend}:${dir}`;
  const known = cached.get(key);
  if (known) return known;
  const migrations = readdirSync(dir)
    .map((folder) => ({ folder, match: MIGRATION_DIR.exec(folder) }))
    .filter((m): m is { folder: string; match: RegExpExecArray } => m.match !== null)
    .map(({ folder, match }) => ({
      version: Number(match[1]),
      name: match[2] ?? folder,
      sql: readFileSync(join(dir, folder, `${backend}.sql`), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `migrations in ${dir} must be numbered 0001, 0002, … without gaps; found ${m.version} at position ${i + 1}`,
      );
  });
  cached.set(key, migrations);
  return migrations;
}

/**
 * Applies every migration not yet recorded, all in one IMMEDIATE transaction, and records each; marks the database
 * as this layer's (application_id) in the same transaction. Refuses another application's database
 * (ForeignDatabaseError). Running it again changes nothing. Returns the versions applied by this call.
 */
export function migrate(db: Database.Database, migrations: Migration[], appliedAt: number): number[] {
  // Up to date (the common case, e.g. every worker opening a shared file): a read, no write lock taken.
  const recorded = appliedVersions(db);
  const upToDate = recorded.size === migrations.length && Math.max(...recorded) === migrations.length;
  if (migrations.length > 0 && upToDate && isMarked(db)) return [];
  const applied = db.transaction(() => {
    // Checked again under the write lock: another application or a newer release may have written the file since it
    // was inspected.
    const owner = assertLayerDatabase(db, db.name);
    assertSchemaNotNewer(db, migrations.length);
    if (owner !== 'marked') markLayerDatabase(db);
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const done = appliedVersions(db);
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const versions: number[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, appliedAt);
      versions.push(m.version);
    }
    if (versions.length > 0) db.pragma(`user_version = ${migrations.length}`);
    return versions;
  });
  return applied.immediate();
}

function isMarked(db: Database.Database): boolean {
  return db.pragma('application_id', { simple: true }) === LAYER_APPLICATION_ID;
}

function appliedVersions(db: Database.Database): Set<number> {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!exists) return new Set();
  return new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
}

export function currentSchemaVersion(db: Database.Database): number {
  return Math.max(0, ...appliedVersions(db));
}

/** Throws SchemaTooNewError when schema_migrations or user_version records a version above knownVersion. */
export function assertSchemaNotNewer(db: Database.Database, knownVersion: number): void {
  const recorded = Math.max(currentSchemaVersion(db), Number(db.pragma('user_version', { simple: true })));
  if (recorded > knownVersion) throw new SchemaTooNewError(db.name, recorded, knownVersion);
}
