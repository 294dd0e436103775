/** Base class of every error the recovery layer throws on purpose. */
export class AgentOSError extends Error {
  override name = 'AgentOSError';
}

/** Operations made under a lease, each refused with LeaseLostError once the lease is no longer held. */
export type LeasedOperation = 'renew' | 'complete' | 'release' | 'checkpoint' | 'tool-start' | 'tool-finish' | 'task-status';

/**
 * A write made under a lease was refused because the caller no longer holds it: a newer epoch was granted (taken
 * over), the lease expired, or the item was released or completed. Nothing was written.
 */
export class LeaseLostError extends AgentOSError {
  override name = 'LeaseLostError';
  constructor(
    readonly itemId: string,
    readonly epoch: number,
    readonly workerId: string,
    readonly operation: LeasedOperation,
    current: string,
    /** The item's epoch now (null: the item does not exist). */
    readonly currentEpoch: number | null = null,
    /** Who holds the item now (null: nobody). */
    readonly currentHolder: string | null = null,
  ) {
    super(`${operation} on work item "${itemId}" by worker "${workerId}" with epoch ${epoch} refused: ${current}`);
  }
}

/** Evidence attached to a checkpoint did not verify. */
export class CheckpointVerificationError extends AgentOSError {
  override name = 'CheckpointVerificationError';
  constructor(
    readonly checkpointId: number | null,
    readonly failures: readonly { index: number; kind: string; reason: string }[],
  ) {
    const what = checkpointId === null ? 'pending checkpoint' : `checkpoint ${checkpointId}`;
    const why = failures.map((f) => `item ${f.index} (${f.kind}): ${f.reason}`).join('; ');
    super(`${what} failed verification: ${why}`);
  }
}

/** A tool call was started earlier but never recorded as finished: it may or may not have run. */
export class InDoubtToolCallError extends AgentOSError {
  override name = 'InDoubtToolCallError';
  constructor(
    readonly key: string,
    readonly command: string,
    readonly startedAt: number,
  ) {
    super(
      `tool call "${command}" (key ${key.slice(0, 12)}) was started at ${new Date(startedAt).toISOString()} and never ` +
        'finished: it may already have run. Resolve it with ToolLedger.forget() or run with { onInDoubt: "execute" }.',
    );
  }
}

/** An identical tool call is running right now in another live process. */
export class ToolCallInProgressError extends AgentOSError {
  override name = 'ToolCallInProgressError';
  constructor(
    readonly key: string,
    readonly command: string,
    readonly ownerPid: number,
  ) {
    super(`tool call "${command}" (key ${key.slice(0, 12)}) is running in process ${ownerPid}; wait for it and call again to replay its result`);
  }
}

/** A lookup by id found nothing. */
export class NotFoundError extends AgentOSError {
  override name = 'NotFoundError';
  constructor(
    readonly kind: string,
    readonly id: string | number,
  ) {
    super(`${kind} "${id}" not found`);
  }
}

/** The database file could not be opened, is not a SQLite database, or its schema could not be migrated. */
export class DatabaseOpenError extends AgentOSError {
  override name = 'DatabaseOpenError';
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot open database "${path}": ${message}`, options);
  }
}

/** A task definition or task run was invalid (duplicate step names, unknown task, …). */
export class TaskError extends AgentOSError {
  override name = 'TaskError';
}
