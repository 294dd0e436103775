import type { Fence } from './core/fence.js';
import type { HeldItemRow, HolderColumns } from './holder-identity.js';

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
  readonly leaseStore: LeaseStore;
  readonly taskStore: TaskStore;
  readonly sweepStore: SweepStore;
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

/** A work_items row as either adapter returns it. */
export interface WorkItemRow {
  id: string;
  task_id: string | null;
  status: 'pending' | 'leased' | 'completed';
  lease_holder: string | null;
  lease_expires_at: number | null;
  epoch: number;
  attempts: number;
  recoveries: number;
}

/** A row a lease was taken with, as either adapter returns it. */
export interface LeaseRow {
  id: string;
  task_id: string | null;
  payload: string;
  epoch: number;
  lease_expires_at: number;
}

/** A work item to add: id, task id and serialised payload. */
export interface NewWorkItem {
  id: string;
  taskId: string | null;
  payloadJson: string;
}

export interface LeaseStore {
  /** Adds the items whose ids are not present yet, in one transaction; returns how many were added. */
  enqueue(items: readonly NewWorkItem[]): Promise<number>;
  /**
   * Takes up to `limit` of the oldest pending items that are not ownership items, each at its next epoch, logged as
   * acquisitions; acquirers never wait on each other's rows.
   */
  acquireNext(workerId: string, durationMs: number, limit: number): Promise<LeaseRow[]>;
  /**
   * Takes the named item at its next epoch when pending, when its lease has expired by the store's clock, or (given
   * `deadEpoch`) when it is still at that epoch, whose holder was found dead: logged as an acquisition or a takeover.
   * Records `holder` as the new holder's process identity.
   */
  acquireItem(
    itemId: string,
    workerId: string,
    durationMs: number,
    holder: HolderColumns,
    deadEpoch: number | null,
  ): Promise<LeaseRow | undefined>;
  /** The named item's status, epoch and holder identity, to judge whether its holder is provably dead. */
  holderOf(itemId: string): Promise<HeldItemRow | undefined>;
  /** Extends a held lease; returns the new expiry. Refused: LeaseLostError. */
  renew(fence: Fence, durationMs: number): Promise<number>;
  /** Marks the item completed with its result. Refused: LeaseLostError. */
  complete(fence: Fence, resultJson: string): Promise<void>;
  /** Completes many of one worker's leases in one transaction, each fenced by its epoch; returns the ids completed. */
  completeBatch(
    workerId: string,
    items: readonly { itemId: string; epoch: number }[],
    resultJson: string,
  ): Promise<string[]>;
  /** Gives the item back to the pending queue. Refused: LeaseLostError. */
  release(fence: Fence): Promise<void>;
  get(itemId: string): Promise<WorkItemRow | undefined>;
}

export type TaskStatus = 'running' | 'succeeded' | 'failed';

/** Where a task runner keeps its tasks' statuses; every write is fenced by the task's lease. */
export interface TaskStore {
  status(taskId: string): Promise<{ status: TaskStatus; error: string | null } | undefined>;
  writeStatus(taskId: string, fence: Fence, status: TaskStatus, error: string | null): Promise<void>;
  /** The terminal status and the completion of the task's lease (result `resultJson`), in one transaction. */
  finish(
    taskId: string,
    fence: Fence,
    status: 'succeeded' | 'failed',
    error: string | null,
    resultJson: string,
  ): Promise<void>;
}

/** One batch of a recovery sweep: leases returned to the queue, and the recovery checkpoints recorded with them. */
export interface SweepBatch {
  reclaimed: number;
  checkpointsCreated: number;
}

/** What a recovery sweep does to the store; each method one atomic operation, by the store's clock. */
export interface SweepStore {
  /**
   * Returns up to `limit` of the leases expired now (oldest expiry first) to the pending queue, logging a 'reclaim'
   * at the old holder's epoch for each, in one transaction; a row its holder is writing right now is skipped. With
   * `recordCheckpoints`, the same transaction first records a verified 'lease-expired' checkpoint per item (its id,
   * task id, holder, epoch and recoveredAt) under task "lease-recovery:<item id>", at that task's next seq.
   */
  reclaimExpired(limit: number, recordCheckpoints: boolean): Promise<SweepBatch>;
  /**
   * Trims the first `limit` tasks (in task id order) after `afterTaskId` to each one's newest `keepLast` checkpoints,
   * in one transaction. Returns how many checkpoints went, and the last task visited: null when fewer than `limit`
   * tasks were left, i.e. the end was reached.
   */
  trimCheckpoints(
    afterTaskId: string,
    limit: number,
    keepLast: number,
  ): Promise<{ deleted: number; lastTaskId: string | null }>;
  /** Removes up to `limit` lease_log rows of items completed at least `retentionMs` ago; returns how many. */
  trimLeaseLog(retentionMs: number, limit: number): Promise<number>;
}
