import { DBOS } from '@dbos-inc/dbos-sdk';
import type { TaskDefinition, TaskRunResult } from 'agentos-chaos';
import { executedHere, planTasks, taskWorkflow, type RecordedStep } from './workflows.js';

/** DBOS's statuses a workflow ends in; PENDING and ENQUEUED mean it has yet to. */
const ENDED = new Set(['SUCCESS', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED']);

/**
 * The task runner on DBOS: run(taskId) starts the task's workflow under the task's id, or attaches to it when it
 * exists (DBOS's default for a workflow id in use: return the existing workflow), and waits for its outcome. A task
 * left PENDING by a killed process is resumed by DBOS's recovery when this process launched; run() then attaches to it.
 * Evidence is not verified: DBOS has no counterpart (a step's output is recorded as it is returned).
 */
export function dbosRunner<S>(
  definition: TaskDefinition<S>,
  onStepFinished: (step: string, recorded: RecordedStep) => void,
): { run(taskId: string): Promise<TaskRunResult<S>> } {
  planTasks({
    // DBOS hands each step the output it recorded for the one before: the state this definition's steps returned.
    steps: definition.steps.map((step) => ({
      name: step.name,
      run: (state, context) => step.run(state as S, context),
    })),
    onStepFinished,
  });
  return {
    async run(taskId) {
      // An existing task (recovered at launch, or ended) is attached to; a new one is started here.
      const handle =
        (await DBOS.getWorkflowStatus(taskId)) !== null
          ? DBOS.retrieveWorkflow(taskId)
          : await DBOS.startWorkflow(taskWorkflow, { workflowID: taskId })(definition.initialState);
      try {
        const state = (await handle.getResult()) as S;
        return { taskId, status: 'succeeded', state, ...executedHere(taskId), error: null };
      } catch (error) {
        // The workflow ended in failure; anything else (the server out of reach) is the caller's to see.
        const status = await DBOS.getWorkflowStatus(taskId);
        if (status === null || !ENDED.has(status.status) || status.status === 'SUCCESS') throw error;
        const message = error instanceof Error ? error.message : String(error);
        return { taskId, status: 'failed', state: definition.initialState, ...executedHere(taskId), error: message };
      }
    },
  };
}
