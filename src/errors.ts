/** Base class of every error the recovery layer throws on purpose. */
export class AgentOSError extends Error {
  override name = 'AgentOSError';
}

/** Operations made under a lease, each refused with LeaseLostError once the lease is no longer held. */
export type LeasedOperation =
  | 'renew'
  | 'complete'
  | 'release'
  | 'checkpoint'
  | 'tool-start'
  | 'tool-finish'
  | 'task-status'
  // AgentosSaver (src/langgraph): a LangGraph checkpoint, a task's pending writes, a thread's deletion, its trim, a
  // checkpoint's re-verification.
  | 'langgraph-put'
  | 'langgraph-writes'
  | 'langgraph-delete'
  | 'langgraph-trim'
  | 'langgraph-verify';

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
    /** Where the owner runs, when it is another machine or pid namespace (another container). */
    readonly ownerHost?: string,
  ) {
    super(
      ownerHost === undefined
        ? `tool call "${command}" (key ${key.slice(0, 12)}) is running in process ${ownerPid}; wait for it and call again to replay its result`
        : `tool call "${command}" (key ${key.slice(0, 12)}) was started by process ${ownerPid} on host "${ownerHost}", ` +
            'which may still be running it; call again once it has finished to replay its result (if that process is ' +
            'known to be gone, resolve the call with forget(), or run calls under a lease so its loss shows)',
    );
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

/** The file was written by a newer schema than this code knows; it was left unchanged. */
export class SchemaTooNewError extends DatabaseOpenError {
  override name = 'SchemaTooNewError';
  constructor(
    path: string,
    /** The schema version recorded in the file (the higher of schema_migrations and user_version). */
    readonly fileVersion: number,
    /** The newest schema version this code knows. */
    readonly knownVersion: number,
  ) {
    super(
      path,
      `its schema is version ${fileVersion} but this code knows versions up to ${knownVersion}: it was written by a ` +
        'newer release; open it with that release (the file was left unchanged)',
    );
  }
}

/**
 * The file (or PostgreSQL schema) belongs to another application: it holds tables but not this layer's mark nor its
 * schema_migrations shape. It was left unchanged.
 */
export class ForeignDatabaseError extends DatabaseOpenError {
  override name = 'ForeignDatabaseError';
  constructor(
    path: string,
    /** Its first schema objects, e.g. "table customers". */
    readonly objects: readonly string[],
    /** How many schema objects it holds in all. */
    readonly total: number,
    /** What showed it is not this layer's, e.g. "it has no schema_migrations table". */
    readonly found = 'it has no schema_migrations table',
    /** A SQLite file, or a PostgreSQL schema. */
    container: 'file' | 'schema' = 'file',
  ) {
    const more = total > objects.length ? `, … (${total} schema objects)` : '';
    const instead = container === 'file' ? 'pass a new path or an empty file' : 'pass another schema';
    super(
      path,
      `it belongs to another application: ${found}; it holds ${objects.join(', ')}${more}; ` +
        `the ${container} was left unchanged (${instead})`,
    );
  }
}

/** The file has a SQLite header but SQLite reports its content as malformed; the cause is SQLite's error. */
export class DatabaseCorruptError extends DatabaseOpenError {
  override name = 'DatabaseCorruptError';
}

/** A write failed because the database's disk is full (SQLITE_FULL); nothing of it was written. Retry once space returns. */
export class DiskFullError extends AgentOSError {
  override name = 'DiskFullError';
  constructor(
    readonly path: string,
    options: { cause: unknown },
  ) {
    super(
      `write to database "${path}" failed: the disk is full (SQLITE_FULL); nothing was written, retry once space is freed`,
      options,
    );
  }
}

/**
 * The database server could not be reached, or the connection died during a statement (server restart, terminated
 * backend, network cut). `inDoubt`: the statement may have been committed (the connection died after sending it),
 * so retrying it blindly could do it twice; otherwise it was never sent and nothing was written.
 */
export class DatabaseUnavailableError extends AgentOSError {
  override name = 'DatabaseUnavailableError';
  constructor(
    readonly database: string,
    readonly inDoubt: boolean,
    options: { cause: unknown },
  ) {
    const why = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `database ${database} is unavailable (${why}): ${inDoubt ? 'the statement may or may not have been committed' : 'nothing was written'}; retry once it is back`,
      options,
    );
  }
}

/** Another runner holds the task's lease: a task has one owner at a time. */
export class TaskBusyError extends AgentOSError {
  override name = 'TaskBusyError';
  constructor(
    readonly taskId: string,
    readonly holder: string | null,
    readonly leaseExpiresAt: number | null,
  ) {
    const until = leaseExpiresAt === null ? '' : ` until ${new Date(leaseExpiresAt).toISOString()} unless renewed`;
    super(
      `task "${taskId}" is being run by "${holder ?? 'another runner'}" (its lease holds${until}); run it again after that runner ends or its lease expires, or pass { onBusy: 'wait' }`,
    );
  }
}

/** A task definition or task run was invalid (duplicate step names, unknown task, …). */
export class TaskError extends AgentOSError {
  override name = 'TaskError';
}

/** A tool call's command could not be started (its cwd is missing, the shell cannot be executed, …); nothing ran. */
/**
 * A tool call ran, but its result could not be recorded: its row was removed (forget) or claimed by another execution
 * while it ran. The command's effect happened; the ledger does not know of it.
 */
export class ToolResultNotRecordedError extends AgentOSError {
  override name = 'ToolResultNotRecordedError';
  constructor(
    readonly command: string,
    readonly key: string,
  ) {
    super(
      `tool call "${command}" (key ${key}) ran, but its result was not recorded: the call was forgotten or claimed by another execution while it ran`,
    );
  }
}

export class ToolSpawnError extends AgentOSError {
  override name = 'ToolSpawnError';
  constructor(
    readonly command: string,
    readonly cwd: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`tool call "${command}" could not be started in ${cwd}: ${reason}`, options);
  }
}
