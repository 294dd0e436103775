import type { Fence } from './fencing.js';

/**
 * The async interface the services are written against, once: one method per atomic compound operation, so each
 * adapter keeps its own transaction and fence (SQLite's write transaction, PostgreSQL's single fenced statement).
 * Times are the store's: the SQLite adapter reads its injected clock, the PostgreSQL adapter the server's clock.
 * AgentDatabase (SQLite) and PgDatabase (PostgreSQL) implement it.
 */
export interface AgentStore {
  readonly backend: 'sqlite' | 'postgres';
  /** Where it is, for messages: a file path, or host, port, database and schema (never a password). */
  readonly label: string;
  readonly checkpointStore: CheckpointStore;
  readonly cacheStore: CacheStore;
}

/** A checkpoints row as either adapter returns it (SQLite stores verified as 0/1, PostgreSQL as a boolean). */
export interface CheckpointRow {
  id: number;
  task_id: string;
  seq: number;
  step: string;
  state: string;
  evidence: string | null;
  verified: 0 | 1 | boolean;
  verification: string | null;
  created_at: number;
  verified_at: number | null;
}

/** A checkpoint to insert: serialised state, evidence and verification (null when not verified at commit). */
export interface NewCheckpoint {
  taskId: string;
  step: string;
  stateJson: string;
  evidenceJson: string | null;
  verified: boolean;
  verificationJson: string | null;
}

export interface CheckpointStore {
  /**
   * Inserts with the task's next sequence number, numbered under the write lock. With `fence`, the fencing rule is
   * checked in the same transaction and the write logged: refused with LeaseLostError, nothing written.
   */
  insert(checkpoint: NewCheckpoint, fence?: Fence): Promise<{ id: number; seq: number; createdAt: number }>;
  byId(id: number): Promise<CheckpointRow | undefined>;
  /** The stored evidence alone (the state may be megabytes); undefined when there is no such checkpoint. */
  evidenceOf(id: number): Promise<{ evidence: string | null } | undefined>;
  last(taskId: string, verifiedOnly: boolean): Promise<CheckpointRow | undefined>;
  list(taskId: string, afterSeq: number, limit: number | null): Promise<CheckpointRow[]>;
  markVerified(id: number, ok: boolean, verificationJson: string): Promise<void>;
  /** Deletes all but the task's newest keepLast checkpoints; returns how many went. */
  cleanup(taskId: string, keepLast: number): Promise<number>;
}

export interface CacheStore {
  /** The stored response (JSON) unless missing or expired by the store's clock. */
  get(key: string): Promise<string | undefined>;
  put(key: string, model: string, responseJson: string, ttlMs: number): Promise<void>;
  /** Deletes expired entries; returns how many. */
  cleanup(): Promise<number>;
}
