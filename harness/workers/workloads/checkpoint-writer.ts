import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { DatabaseOpenError, DatabaseUnavailableError, DiskFullError } from '../../../src/index.js';
import { connectionLoss } from '../../../src/pg/connection-loss.js';
import { defineWorkload } from '../workload.js';

/**
 * Commits `count` checkpoints to one task through the run's subject, acknowledging each; with a huge count it runs
 * until killed. A commit refused because the disk is full, or lost with the server's connection, is retried (a new
 * attempt, with a new token) until `patienceMs` passes. With recordOps, every attempt is also an operation in the
 * history: invoke, then ok, or fail when nothing was written; a commit whose connection died under it has no answer,
 * so the checkers treat it as 'info' (it may or may not have been written, at most once).
 */
export const checkpointWriter = defineWorkload<'checkpoint-writer'>({
  async run({ workerId, channel, openSubject }, params) {
    const store = await retrying(openSubject, params.patienceMs);
    const taskId = params.taskId.replaceAll('{worker}', workerId);
    const padding = 'x'.repeat(params.stateBytes);
    if (params.waitForGo) await channel.nextCommand();
    let attempt = 0;
    for (let i = 1; i <= params.count; i++) {
      const patience = performance.now() + params.patienceMs;
      for (;;) {
        const n = ++attempt;
        const token = `${workerId}#${n}`;
        if (params.recordOps) channel.emit({ kind: 'op.invoke', op: 'checkpoint', n, token, taskId });
        const started = performance.now();
        try {
          const c = await store.commit(taskId, `step-${i}`, { writer: workerId, i, token, padding });
          const { id } = c;
          const seq = c.seq !== undefined ? { seq: c.seq } : {};
          if (params.recordOps) channel.emit({ kind: 'op.ok', op: 'checkpoint', n, token, ...seq, id });
          channel.emit({ kind: 'checkpoint.committed', taskId, ...seq, id, latencyMs: performance.now() - started });
          if (params.intervalMs > 0) await delay(params.intervalMs);
          break;
        } catch (error) {
          const retry = retryable(error);
          if (!retry || performance.now() > patience) throw error;
          if (params.recordOps && !retry.inDoubt)
            channel.emit({ kind: 'op.fail', op: 'checkpoint', n, token, error: (error as Error).name });
          await delay(20);
        }
      }
    }
    return { committed: params.count, attempts: attempt };
  },
});

/**
 * Whether a failed commit may be tried again, and whether it may have been written anyway: a full disk (nothing
 * written), or a server connection refused (nothing written) or lost mid-statement (in doubt), whether the subject's
 * client reports it as this layer does or as the pg driver's own error.
 */
function retryable(error: unknown): { inDoubt: boolean } | undefined {
  if (error instanceof DiskFullError) return { inDoubt: false };
  if (error instanceof DatabaseUnavailableError) return { inDoubt: error.inDoubt };
  // Opening the subject failed because the server was unreachable (the cause says why).
  if (error instanceof DatabaseOpenError) return error.cause === undefined ? undefined : retryable(error.cause);
  return connectionLoss(error);
}

/** Runs `attempt` until it succeeds, retrying what retryable() allows until patienceMs has passed. */
async function retrying<T>(attempt: () => Promise<T>, patienceMs: number): Promise<T> {
  const deadline = performance.now() + patienceMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!retryable(error) || performance.now() > deadline) throw error;
      await delay(20);
    }
  }
}
