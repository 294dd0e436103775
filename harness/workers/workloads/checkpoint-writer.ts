import { performance } from 'node:perf_hooks';
import { CheckpointManager } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

/** Commits `count` checkpoints to one task, acknowledging each; with a huge count it runs until killed. */
export const checkpointWriter = defineWorkload<'checkpoint-writer'>({
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
