import type Database from 'better-sqlite3';
import { ForeignDatabaseError } from '../errors.js';
import { FIRST_MIGRATION, MIGRATION_COLUMNS } from '../migration-shape.js';

/** This layer's mark in a SQLite file's header (PRAGMA application_id): "AgOS" in ASCII. */
export const LAYER_APPLICATION_ID = 0x41674f53;

/**
 * Whose a SQLite database is, read without writing: 'marked' (this layer's application_id), 'unmarked' (written by
 * this layer before it set the mark: its schema_migrations shape, its first migration and its work_items table) or
 * 'empty' (no schema object: a new database). Anything else throws ForeignDatabaseError naming the file and what was
 * found.
 */
export function assertLayerDatabase(db: Database.Database, file: string): 'marked' | 'unmarked' | 'empty' {
  const id = Number(db.pragma('application_id', { simple: true }));
  if (id === LAYER_APPLICATION_ID) return 'marked';
  const objects = db.prepare("SELECT type || ' ' || name FROM sqlite_master").pluck().all() as string[];
  const foreign = (found: string) => new ForeignDatabaseError(file, objects.slice(0, 5), objects.length, found);
  if (id !== 0) throw foreign(`its application_id is ${hex(id)}, not this layer's ${hex(LAYER_APPLICATION_ID)}`);
  if (objects.length === 0) return 'empty';
  if (!objects.includes('table schema_migrations')) throw foreign('it has no schema_migrations table');
  const columns = db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').pluck().all('schema_migrations');
  if (columns.join() !== MIGRATION_COLUMNS.join()) {
    throw foreign(
      `its schema_migrations table has the columns (${columns.join(', ')}), not this layer's (${MIGRATION_COLUMNS.join(', ')})`,
    );
  }
  if (!objects.includes('table work_items'))
    throw foreign('it has no work_items table, which every version of this layer has');
  const first = db.prepare('SELECT name FROM schema_migrations WHERE version = 1').pluck().get();
  if (first !== FIRST_MIGRATION) {
    throw foreign(
      `its schema_migrations records migration 1 as ${JSON.stringify(first ?? null)}, not "${FIRST_MIGRATION}"`,
    );
  }
  return 'unmarked';
}

/** Sets the mark; inside the migration transaction, so it commits with the schema or not at all. */
export function markLayerDatabase(db: Database.Database): void {
  db.pragma(`application_id = ${LAYER_APPLICATION_ID}`);
}

function hex(id: number): string {
  return `0x${(id >>> 0).toString(16).padStart(8, '0')}`;
}
