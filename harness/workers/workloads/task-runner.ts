import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LeaseLostError, TaskBusyError, evidence, sha256Hex, type TaskStep } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

interface PipelineState {
  done: string[];
  total: number;
}

/** File naming every step execution, in order: "<step> <worker>" per line (read by committed-steps-not-rerun). */
export const STEPS_LOG = 'steps.log';

/**
 * Runs (or resumes) a multi-step task. Each step records its execution in steps.log (which shows whether a step ran
 * twice), makes an external side effect keyed by the step's idempotency key, writes an artifact and proves it with
 * evidence. A runner that finds the task busy reports task.busy and ends.
 */
export const taskRunner = defineWorkload<'task-runner'>({
  async run({ runDir, workerId, channel, openSubject }, params) {
    const store = await openSubject();
    if (!store.runner) throw new Error('task-runner needs a subject with a task runner');
    const steps: TaskStep<PipelineState>[] = Array.from({ length: params.steps }, (_, i) => {
      const name = `step-${i + 1}`;
      const artifact = `artifacts/${params.taskId}-${name}.txt`;
      return {
        name,
        async run(state, ctx) {
          channel.emit({ kind: 'step.started', taskId: ctx.taskId, step: name });
          // Inside a step (its lease checked, no transaction open), wait for the harness: a moment to freeze in.
          if (params.waitInStep === i + 1) await channel.nextCommand();
          appendFileSync(join(runDir, STEPS_LOG), `${name} ${workerId}\n`);
          externalEffect(join(runDir, 'effects', `${name}.log`), ctx.idempotencyKey);
          if (params.waitAfterEffect === i + 1) {
            channel.emit({ kind: 'step.effect', taskId: ctx.taskId, step: name });
            await channel.nextCommand();
          }
          let digest = `${ctx.taskId}:${name}`;
          for (let r = 0; r < params.workRounds; r++) digest = sha256Hex(digest);
          writeFileSync(join(runDir, artifact), digest);
          return { done: [...state.done, name], total: state.total + 1 };
        },
        evidence: () => evidence.pack(evidence.fileExists(artifact)),
      };
    });
    const runner = store.runner(
      { steps, initialState: { done: [], total: 0 } },
      {
        workerId,
        leaseDurationMs: params.leaseDurationMs,
        onStepFinished: (step, checkpoint) =>
          channel.emit({ kind: 'step.finished', taskId: params.taskId, step, seq: checkpoint.seq, id: checkpoint.id }),
      },
      runDir,
    );
    mkdirSync(join(runDir, 'artifacts'), { recursive: true });
    mkdirSync(join(runDir, 'effects'), { recursive: true });
    if (params.waitForGo) await channel.nextCommand();
    try {
      const result = await runner.run(params.taskId);
      channel.emit({
        kind: 'task.finished',
        taskId: result.taskId,
        status: result.status,
        executed: result.executed,
        skipped: params.steps - result.executed.length,
        resumedAfter: result.resumedAfter,
      });
      return { executed: result.executed.length, succeeded: result.status === 'succeeded' ? 1 : 0 };
    } catch (error) {
      // A runner whose lease was taken over while it was frozen stops: the new owner finishes the task.
      if (error instanceof LeaseLostError) {
        channel.emit({
          kind: 'lease.lost',
          itemId: error.itemId,
          epoch: error.epoch,
          operation: error.operation,
          message: error.message,
        });
        return { executed: 0, lost: 1 };
      }
      if (!(error instanceof TaskBusyError)) throw error;
      channel.emit({ kind: 'task.busy', taskId: error.taskId, holder: error.holder });
      return { executed: 0, busy: 1 };
    }
  },
});

/**
 * A side effect through an API that honours idempotency keys, like a payment provider's: the first request with a
 * key creates the record; a repeat of that key changes nothing; a request with another key is a second charge.
 */
function externalEffect(file: string, key: string): void {
  try {
    writeFileSync(file, `${key}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!readFileSync(file, 'utf8').split('\n').includes(key)) appendFileSync(file, `${key}\n`);
  }
}
