import type { Fence } from './core/fence.js';
import type { Output } from './core/tool-call.js';
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
  /**
   * Which database this is, whatever name or address it was opened by (AgentDatabase.identity, PgDatabase.identity):
   * what this process shares between handles of one database (tool calls in flight) is keyed by it.
   */
  readonly identity: string;
  readonly checkpointStore: CheckpointStore;
  readonly cacheStore: CacheStore;
  readonly leaseStore: LeaseStore;
  readonly taskStore: TaskStore;
  readonly sweepStore: SweepStore;
  readonly saverStore: SaverStore;
  readonly toolStore: ToolStore;
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
  /**
   * The database's random salt, made with its schema (migration 0007), part of every step's idempotency key;
   * undefined when its row is gone.
   */
  idempotencySalt(): Promise<string | undefined>;
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

/** A checkpoint as read for LangGraph: its row, its channel values and the pending writes of the tasks run from it. */
export interface SaverCheckpoint extends SaverCheckpointRow {
  /** In channel order. */
  blobs: SaverBlobRow[];
  /** In LangGraph's order (task path, task id, index). */
  writes: SaverWriteRow[];
}

/** The evidence a task attached, with its verification, as stored. */
export interface TaskEvidenceRow {
  evidence: string;
  verification: string;
}

/** A checkpoint's evidence columns as stored by a put. */
export interface SaverCheckpointEvidence {
  evidenceJson: string;
  verified: boolean;
  verificationJson: string;
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
  /**
   * The evidence of the tasks that produced it (those run from the parent), verified when their writes were saved,
   * from their task-evidence rows (by task id); null when none. The store reads the rows as part of the put.
   */
  evidenceOf: (rows: readonly TaskEvidenceRow[]) => SaverCheckpointEvidence | null;
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
  /** The checkpoint with this id, or the newest of the namespace when undefined (its row alone). */
  checkpoint(threadId: string, ns: string, checkpointId: string | undefined): Promise<SaverCheckpointRow | undefined>;
  /**
   * The checkpoint with this id, or the newest of the namespace when undefined, with its values and writes: one
   * snapshot, each value found by its key (the cost does not grow with the thread).
   */
  read(threadId: string, ns: string, checkpointId: string | undefined): Promise<SaverCheckpoint | undefined>;
  /** Newest first, each with its values and writes, read in one snapshot. */
  list(query: SaverListQuery): Promise<SaverCheckpoint[]>;
  /** The values written to one channel by the tasks run from a checkpoint, in LangGraph's order. */
  channelWritesOf(threadId: string, ns: string, checkpointId: string, channel: string): Promise<SaverValueRow[]>;
  /** The evidence each task run from the checkpoint attached, with its verification, by task id. */
  taskEvidenceOf(threadId: string, ns: string, checkpointId: string): Promise<TaskEvidenceRow[]>;
  evidenceOf(threadId: string, ns: string, checkpointId: string): Promise<SaverEvidenceRow | undefined>;
  /** Records a re-verification of a checkpoint's evidence, fenced by the thread's lease. */
  markVerified(
    threadId: string,
    ns: string,
    checkpointId: string,
    ok: boolean,
    verificationJson: string,
    fence: Fence,
  ): Promise<void>;
}

/** A tool_calls row as either adapter returns it (SQLite stores booleans as 0/1). */
export interface ToolCallRow {
  status: 'started' | 'completed';
  /** The token of the claim that wrote the row (null: written by a release that recorded none). */
  claim: string | null;
  exit_code: number | null;
  timed_out: 0 | 1 | boolean;
  truncated: 0 | 1 | boolean;
  stdout: Buffer | null;
  stderr: Buffer | null;
  duration_ms: number | null;
  started_at: number;
  /** Completed and not expired by the store's clock: replayable. */
  live: 0 | 1 | boolean;
  /** The process that started the call (all null once disowned); host and pid space null in rows of old releases. */
  owner_host: string | null;
  owner_pid_space: string | null;
  owner_pid: number | null;
  owner_start: string | null;
  lease_item: string | null;
  /** The call is started and the lease it started under is still held, by the store's clock. */
  lease_held: 0 | 1 | boolean;
}

/** A completed call's result, as recorded. */
export type RecordedToolCall = Pick<
  ToolCallRow,
  'exit_code' | 'timed_out' | 'truncated' | 'stdout' | 'stderr' | 'duration_ms'
>;

/** A call to claim: its key, command and absolute cwd, the claim's token and the claiming process. */
export interface NewToolCall {
  key: string;
  command: string;
  cwd: string;
  claim: string;
  owner: HolderColumns;
}

/** What an executed command left, to record: its output and how long it ran. */
export interface ToolCallResult extends Output {
  durationMs: number;
}

/**
 * Where a tool ledger records its calls. A call is claimed by compare-and-set on its row, so one process runs it;
 * under a lease its start and its result are each fenced and logged in the write's own transaction.
 */
export interface ToolStore {
  /** The recorded result of a completed call, unless it has expired by the store's clock: what a replay returns. */
  recorded(key: string): Promise<RecordedToolCall | undefined>;
  get(key: string): Promise<ToolCallRow | undefined>;
  /**
   * Writes the call's 'started' row, owned by `call.owner`, if the row is still as it was read: absent (`read` null),
   * or with the claim and status read (a call in doubt, an expired result). Returns false, writing nothing, when it
   * changed in between. With `fence`, the fencing rule is checked and the start logged in the same transaction:
   * refused with LeaseLostError, nothing written.
   */
  claim(
    call: NewToolCall,
    read: Pick<ToolCallRow, 'claim' | 'status'> | null,
    fence: Fence | undefined,
  ): Promise<boolean>;
  /**
   * Records the result of the call started under `claim`, expiring ttlMs from now by the store's clock. With `fence`,
   * checked and logged in the same transaction: refused with LeaseLostError, the row left started. False when no row
   * of that claim was left to record it in (forgotten, or claimed by another execution, while the call ran).
   */
  finish(key: string, claim: string, result: ToolCallResult, ttlMs: number, fence: Fence | undefined): Promise<boolean>;
  /** Clears the owner of the call started under `claim`: it is in doubt from now on (its lease was lost). */
  disown(key: string, claim: string): Promise<void>;
  /** Deletes the 'started' row written under `claim` (its command could not be started). */
  unclaim(key: string, claim: string): Promise<void>;
  /** Deletes the call's row; returns whether there was one. */
  forget(key: string): Promise<boolean>;
  /** Deletes completed calls past their expiry by the store's clock; returns how many. */
  cleanup(): Promise<number>;
}
