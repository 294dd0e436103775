export { openPgDatabase, PgDatabase, type OpenPgDatabaseOptions } from './db.js';
export { PgRecoverySweep, type PgSweepStats, type PgRecoverySweepOptions } from './recovery.js';
export { connectionLoss } from './connection-loss.js';
