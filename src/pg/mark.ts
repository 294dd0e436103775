import type pg from 'pg';
import { ForeignDatabaseError } from '../errors.js';
import { FIRST_MIGRATION, MIGRATION_COLUMNS } from '../migration-shape.js';

/** This layer's mark on PostgreSQL: the comment on its schema_migrations table. */
export const LAYER_MIGRATIONS_COMMENT = 'agentos-chaos recovery layer: applied migrations';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Whose a schema is, read without writing: 'marked' (its schema_migrations carries this layer's comment), 'unmarked'
 * (written by this layer before the mark: its schema_migrations shape, its first migration and its work_items table)
 * or 'empty' (missing, or no table). Anything else throws ForeignDatabaseError naming the schema and what was found.
 */
export async function assertLayerSchema(
  db: Queryable,
  schema: string,
  label: string,
): Promise<'marked' | 'unmarked' | 'empty'> {
  const { rows } = await db.query<{ object: string; comment: string | null }>(
    `SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'S' THEN 'sequence ' WHEN 'i' THEN 'index ' ELSE 'table ' END
         || c.relname AS object, obj_description(c.oid, 'pg_class') AS comment
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'i') ORDER BY c.oid`,
    [schema],
  );
  const objects = rows.map((r) => r.object);
  const foreign = (found: string) =>
    new ForeignDatabaseError(label, objects.slice(0, 5), objects.length, found, 'schema');
  if (objects.length === 0) return 'empty';
  const migrations = rows.find((r) => r.object === 'table schema_migrations');
  if (!migrations) throw foreign('it has no schema_migrations table');
  if (migrations.comment === LAYER_MIGRATIONS_COMMENT) return 'marked';
  const columns = (
    await db.query<{ name: string }>(
      `SELECT attname AS name FROM pg_attribute
       WHERE attrelid = to_regclass(quote_ident($1) || '.schema_migrations') AND attnum > 0 AND NOT attisdropped
       ORDER BY attnum`,
      [schema],
    )
  ).rows.map((r) => r.name);
  if (columns.join() !== MIGRATION_COLUMNS.join()) {
    throw foreign(
      `its schema_migrations table has the columns (${columns.join(', ')}), not this layer's (${MIGRATION_COLUMNS.join(', ')})`,
    );
  }
  if (!objects.includes('table work_items'))
    throw foreign('it has no work_items table, which every version of this layer has');
  const first = await db.query<{ name: string }>(`SELECT name FROM ${schema}.schema_migrations WHERE version = 1`);
  const name = first.rows[0]?.name ?? null;
  if (name !== FIRST_MIGRATION) {
    throw foreign(`its schema_migrations records migration 1 as ${JSON.stringify(name)}, not "${FIRST_MIGRATION}"`);
  }
  return 'unmarked';
}

/** Sets the mark; inside the migration transaction, so it commits with the schema or not at all. */
export async function markLayerSchema(db: Queryable): Promise<void> {
  await db.query(`COMMENT ON TABLE schema_migrations IS '${LAYER_MIGRATIONS_COMMENT}'`);
}
