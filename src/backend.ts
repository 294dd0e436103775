import type { Metrics } from './metrics.js';
import type { ToolLedgerStats, ToolResult, ToolRunOptions } from './tool-call.js';

/** A value, or a promise of it: SQLite's calls return at once, PostgreSQL's return promises. */
export type MaybePromise<T> = T | Promise<T>;

/** What ToolLedger (SQLite) and PgToolLedger (PostgreSQL) both offer; awaited, it runs on either backend. */
export interface ToolLedgerApi {
  readonly metrics: Metrics;
  keyOf(command: string, options?: Pick<ToolRunOptions, 'cwd' | 'env' | 'key'>): string;
  run(command: string, options?: ToolRunOptions): Promise<ToolResult>;
  forget(command: string, options?: Pick<ToolRunOptions, 'cwd' | 'env' | 'key'>): MaybePromise<boolean>;
  cleanup(): MaybePromise<number>;
  stats(): ToolLedgerStats;
}
