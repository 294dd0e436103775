import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointManager, TaskRunner, evidence, sha256Hex, type TaskStep } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

interface PipelineState {
  done: string[];
  total: number;
}

/**
 * Runs (or resumes) a multi-step task. Each step records its execution in steps.log (the side effect that shows
 * whether a step ran twice), writes an artifact and proves it with file-hash evidence.
 */
export const taskRunner = defineWorkload<'task-runner'>({
  async run({ db, runDir, workerId, channel }, params) {
    const checkpoints = new CheckpointManager(db, { baseDir: runDir });
    const steps: TaskStep<PipelineState>[] = Array.from({ length: params.steps }, (_, i) => {
      const name = `step-${i + 1}`;
      const artifact = `artifacts/${params.taskId}-${name}.txt`;
      return {
        name,
        run(state, ctx) {
          channel.emit({ kind: 'step.started', taskId: ctx.taskId, step: name });
          appendFileSync(join(runDir, 'steps.log'), `${name} ${workerId}\n`);
          let digest = `${ctx.taskId}:${name}`;
          for (let r = 0; r < params.workRounds; r++) digest = sha256Hex(digest);
          writeFileSync(join(runDir, artifact), digest);
          return { done: [...state.done, name], total: state.total + 1 };
        },
        evidence: () => evidence.pack(evidence.fileExists(artifact)),
      };
    });
    const runner = new TaskRunner(db, checkpoints, { steps, initialState: { done: [], total: 0 } }, {
      onStepFinished: (step, checkpoint) =>
        channel.emit({ kind: 'step.finished', taskId: params.taskId, step, seq: checkpoint.seq, id: checkpoint.id }),
    });
    mkdirSync(join(runDir, 'artifacts'), { recursive: true });
    const result = await runner.run(params.taskId);
    channel.emit({ kind: 'task.finished', taskId: result.taskId, status: result.status, executed: result.executed, skipped: params.steps - result.executed.length, resumedAfter: result.resumedAfter });
    return { executed: result.executed.length, succeeded: result.status === 'succeeded' ? 1 : 0 };
  },
});
