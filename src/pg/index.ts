export { openPgDatabase, PgDatabase, type OpenPgDatabaseOptions } from './db.js';
export { connectionLoss } from './connection-loss.js';
