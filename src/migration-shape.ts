/** The columns of this layer's schema_migrations table, in order, on both stores. */
export const MIGRATION_COLUMNS = ['version', 'name', 'applied_at'] as const;

/** Migration 0001's name: every database of this layer records it first. */
export const FIRST_MIGRATION = 'initial';
