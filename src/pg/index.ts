export { openPgDatabase, PgDatabase, type OpenPgDatabaseOptions } from './db.js';
export { PgLeaseManager } from './leases.js';
export { PgRecoverySweep, type PgSweepStats, type PgRecoverySweepOptions } from './recovery.js';
export { connectionLoss } from './connection-loss.js';
export { PgTaskRunner } from './task-runner.js';
export { PgToolLedger } from './tool-ledger.js';
