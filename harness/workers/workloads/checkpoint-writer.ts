import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { CheckpointManager } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

/** Commits `count` checkpoints to one task, acknowledging each; with a huge count it runs until killed. */
export const checkpointWriter = defineWorkload({
  params: z.object({
    /** '{worker}' is replaced by the worker id. */
    taskId: z.string().min(1).default('task-{worker}'),
    count: z.number().int().positive(),
    stateBytes: z.number().int().nonnegative().default(64),
    /** Wait for the harness's 'go' before the first commit, so all writers start together. */
    waitForGo: z.boolean().default(false),
  }),
  async run({ db, workerId, channel }, params) {
    const cm = new CheckpointManager(db);
    const taskId = params.taskId.replaceAll('{worker}', workerId);
    const padding = 'x'.repeat(params.stateBytes);
    if (params.waitForGo) await channel.nextCommand();
    for (let i = 1; i <= params.count; i++) {
      const started = performance.now();
      const c = cm.commit(cm.begin(taskId, `step-${i}`, { writer: workerId, i, padding }));
      channel.emit({ kind: 'checkpoint.committed', taskId, seq: c.seq, id: c.id, latencyMs: performance.now() - started });
    }
    return { committed: params.count };
  },
});
