import { AgentOSError, CheckpointVerificationError } from '../errors.js';

/** Another saver (another process, or another AgentosSaver in this one) holds the thread's lease: one owner at a time. */
export class ThreadBusyError extends AgentOSError {
  override name = 'ThreadBusyError';
  constructor(
    readonly threadId: string,
    readonly holder: string | null,
    readonly leaseExpiresAt: number | null,
  ) {
    const until = leaseExpiresAt === null ? '' : ` until ${new Date(leaseExpiresAt).toISOString()} unless renewed`;
    super(
      `thread "${threadId}" is being run by "${holder ?? 'another saver'}" (its lease holds${until}); nothing was written. ` +
        'Invoke it again after that run releases the thread, its process ends or its lease expires.',
    );
  }
}

/** A task attached evidence that did not verify when its writes were to be saved: the writes were refused. */
export class TaskEvidenceError extends CheckpointVerificationError {
  override name = 'TaskEvidenceError';
  constructor(
    readonly threadId: string,
    readonly taskId: string,
    failures: readonly { index: number; kind: string; reason: string }[],
  ) {
    super(null, failures);
    const why = failures.map((f) => `item ${f.index} (${f.kind}): ${f.reason}`).join('; ');
    this.message = `writes of task "${taskId}" on thread "${threadId}" were refused: their evidence failed verification: ${why}`;
  }
}
