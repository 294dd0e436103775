import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { DiskFullError } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

/** How long a writer retries a commit refused for lack of space before giving up. */
const DISK_FULL_PATIENCE_MS = 10_000;

/**
 * Commits `count` checkpoints to one task through the run's subject, acknowledging each; with a huge count it runs until killed. A commit
 * refused because the disk is full is retried until space returns. With recordOps, every attempt is also an
 * operation in the history (invoke, then ok or fail), and its checkpoint's state carries the attempt's token.
 */
export const checkpointWriter = defineWorkload<'checkpoint-writer'>({
  async run({ workerId, channel, openSubject }, params) {
    const store = await openSubject();
    const taskId = params.taskId.replaceAll('{worker}', workerId);
    const padding = 'x'.repeat(params.stateBytes);
    if (params.waitForGo) await channel.nextCommand();
    let attempt = 0;
    for (let i = 1; i <= params.count; i++) {
      const patience = performance.now() + DISK_FULL_PATIENCE_MS;
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
          if (!(error instanceof DiskFullError) || performance.now() > patience) throw error;
          channel.emit({ kind: 'op.fail', op: 'checkpoint', n, token, error: error.name });
          await delay(20);
        }
      }
    }
    return { committed: params.count, attempts: attempt };
  },
});
