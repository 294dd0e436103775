import type { Lease, WorkItem, WorkItemInput } from './leases.js';
import type { Metrics } from './metrics.js';
import type { ToolLedgerStats, ToolResult, ToolRunOptions } from './tool-call.js';

/** A value, or a promise of it: SQLite's calls return at once, PostgreSQL's return promises. */
export type MaybePromise<T> = T | Promise<T>;

/** What LeaseManager (SQLite) and PgLeaseManager (PostgreSQL) both offer; awaited, it runs on either backend. */
export interface LeaseApi {
  readonly workerId: string;
  readonly leaseDurationMs: number;
  enqueue(items: WorkItemInput[]): MaybePromise<number>;
  acquire(itemId?: string): MaybePromise<Lease | null>;
  renew(lease: Lease): MaybePromise<Lease>;
  complete(lease: Lease<unknown>, result?: unknown): MaybePromise<void>;
  release(lease: Lease<unknown>): MaybePromise<void>;
  get(itemId: string): MaybePromise<WorkItem | null>;
}

/** What ToolLedger (SQLite) and PgToolLedger (PostgreSQL) both offer; awaited, it runs on either backend. */
export interface ToolLedgerApi {
  readonly metrics: Metrics;
  keyOf(command: string, options?: Pick<ToolRunOptions, 'cwd' | 'env' | 'key'>): string;
  run(command: string, options?: ToolRunOptions): Promise<ToolResult>;
  forget(command: string, options?: Pick<ToolRunOptions, 'cwd' | 'env' | 'key'>): MaybePromise<boolean>;
  cleanup(): MaybePromise<number>;
  stats(): ToolLedgerStats;
}
