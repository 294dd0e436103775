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
  readonly saverStore: SaverStore;
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

/** A LangGraph checkpoint as both adapters return it: the checkpoint without its channel values, and where those are. */
export interface SaverCheckpointRow {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  type: string;
  checkpoint: Uint8Array;
  /** JSON {channel: version as text}: the channel values this checkpoint names. */
  channel_versions: string;
  /** The metadata as JSON text. */
  metadata: string;
}

/** A serialized value: LangGraph's serializer type and bytes (null for a cleared channel). */
export interface SaverValueRow {
  type: string;
  value: Uint8Array | null;
}

/** A channel value of a checkpoint. */
export interface SaverBlobRow extends SaverValueRow {
  channel: string;
}

/** A pending write of a task run from a checkpoint. */
export interface SaverWriteRow extends SaverValueRow {
  task_id: string;
  channel: string;
}

/** A checkpoint's evidence columns (SQLite stores verified as 0/1, PostgreSQL as a boolean). */
export interface SaverEvidenceRow {
  evidence: string | null;
  verified: 0 | 1 | boolean;
  verification: string | null;
  verified_at: number | null;
}

/** A checkpoint to store: the checkpoint's columns, the channel values it changed and its parent tasks' evidence. */
export interface NewSaverCheckpoint {
  threadId: string;
  ns: string;
  checkpointId: string;
  parentId: string | null;
  type: string;
  checkpoint: Uint8Array;
  channelVersionsJson: string;
  metadataJson: string;
  blobs: readonly { channel: string; version: string; type: string; value: Uint8Array | null }[];
  /** The evidence of the tasks that produced it, verified when their writes were saved; null when none. */
  evidence: { evidenceJson: string; verified: boolean; verificationJson: string } | null;
}

/** A task's pending writes to store, with the evidence the task attached (verified just now) or null. */
export interface NewSaverWrites {
  threadId: string;
  ns: string;
  checkpointId: string;
  taskId: string;
  taskPath: string;
  writes: readonly { idx: number; channel: string; type: string; value: Uint8Array }[];
  /** Replace earlier writes of the same task and index (LangGraph's special channels) instead of keeping them. */
  replace: boolean;
  evidence: { evidenceJson: string; verificationJson: string } | null;
}

/** What list() selects: each condition applies when given. */
export interface SaverListQuery {
  threadId: string | undefined;
  ns: string | undefined;
  /** Only checkpoints older than this id. */
  before: string | undefined;
  /** Metadata keys each matched against a value (compared as JSON). */
  filter: readonly (readonly [key: string, value: unknown])[];
  limit: number | undefined;
}

/** How many rows a trim deleted. */
export interface TrimCounts {
  checkpoints: number;
  writes: number;
  blobs: number;
}

/**
 * Where AgentosSaver keeps LangGraph's checkpoints; every write is fenced by the thread's lease (refused:
 * LeaseLostError, nothing written) and logged with it.
 */
export interface SaverStore {
  /** Stores the checkpoint (replacing one of the same id) and its changed channel values; then trims to keepLast. */
  put(checkpoint: NewSaverCheckpoint, fence: Fence, keepLast: number | undefined): Promise<void>;
  putWrites(writes: NewSaverWrites, fence: Fence): Promise<void>;
  /** Deletes every checkpoint, value, write and evidence of the thread. */
  deleteThread(threadId: string, fence: Fence): Promise<void>;
  /** Deletes all but the newest keepLast checkpoints of the namespace (every namespace when undefined), with their writes and the values no kept checkpoint names. */
  trim(threadId: string, ns: string | undefined, keepLast: number, fence: Fence): Promise<TrimCounts>;
  /** The checkpoint with this id, or the newest of the namespace when undefined. */
  checkpoint(threadId: string, ns: string, checkpointId: string | undefined): Promise<SaverCheckpointRow | undefined>;
  /** Newest first. */
  list(query: SaverListQuery): Promise<SaverCheckpointRow[]>;
  /** The checkpoint's channel values and the pending writes of the tasks run from it, in LangGraph's order. */
  contentsOf(row: SaverCheckpointRow): Promise<{ blobs: SaverBlobRow[]; writes: SaverWriteRow[] }>;
  /** The values written to one channel by the tasks run from a checkpoint, in LangGraph's order. */
  channelWritesOf(threadId: string, ns: string, checkpointId: string, channel: string): Promise<SaverValueRow[]>;
  /** The evidence each task run from the checkpoint attached, with its verification, by task id. */
  taskEvidenceOf(
    threadId: string,
    ns: string,
    checkpointId: string,
  ): Promise<{ evidence: string; verification: string }[]>;
  evidenceOf(threadId: string, ns: string, checkpointId: string): Promise<SaverEvidenceRow | undefined>;
  markVerified(
    threadId: string,
    ns: string,
    checkpointId: string,
    ok: boolean,
    verificationJson: string,
  ): Promise<void>;
}
