import { DBOS } from '@dbos-inc/dbos-sdk';
import type { Lease, StepContext } from 'agentos-chaos';

/**
 * The two DBOS workflows of the subject, registered when this module loads: before DBOS.launch(), so that the launch
 * of a restarted process finds them and DBOS's own recovery resumes the workflows its predecessor left PENDING.
 */

/** The workflow that runs a task: one DBOS step per step of the task's definition, the workflow id the task id. */
export const TASK_WORKFLOW = 'agentos-task';
/** The workflow of one checkpoint commit: a single step whose recorded output is the checkpoint's state. */
export const COMMIT_WORKFLOW = 'agentos-commit';

/** One step of a task as this process runs it: the definition's step, its state passed through DBOS. */
export interface PlannedStep {
  name: string;
  run(state: unknown, context: StepContext): unknown;
}

/** A step DBOS recorded: its workflow (the task) and function id, DBOS's number for the step within the workflow. */
export interface RecordedStep {
  id: string;
  seq: number;
}

/** What this process's tasks run: the task runner's definition and its hook. */
export interface TaskPlan {
  steps: readonly PlannedStep[];
  onStepFinished: (step: string, recorded: RecordedStep) => void;
}

/** What this process did of a task: the steps it executed, and the step it resumed after (null: from the start). */
export interface ExecutionHere {
  executed: string[];
  resumedAfter: string | null;
}

/** The id of a recorded step, the same in the worker that acknowledged it and in the final state. */
export function recordedStepId(workflowID: string, functionID: number): string {
  return `${workflowID}#${functionID}`;
}

let setPlan: ((plan: TaskPlan) => void) | undefined;
// A workflow DBOS recovers at launch may be dispatched before the runner gave its definition: it waits for it here.
const plan = new Promise<TaskPlan>((resolve) => (setPlan = resolve));
const here = new Map<string, ExecutionHere>();

/** Gives this process's tasks their steps; a process runs one task definition. */
export function planTasks(given: TaskPlan): void {
  if (setPlan === undefined)
    throw new Error('dbos subject: a process runs one task definition; runner() was called twice');
  setPlan(given);
  setPlan = undefined;
}

/** What this process did of the task so far. */
export function executedHere(taskId: string): ExecutionHere {
  let execution = here.get(taskId);
  if (!execution) here.set(taskId, (execution = { executed: [], resumedAfter: null }));
  return execution;
}

/** A step's context on DBOS: its idempotency key is DBOS's workflow id and step number; DBOS has no leases. */
function stepContext(taskId: string, stepIndex: number, functionID: number): StepContext {
  return {
    taskId,
    stepIndex,
    idempotencyKey: recordedStepId(taskId, functionID),
    get lease(): Lease<unknown> {
      throw new Error('the dbos subject has no leases: a step cannot fence its writes with one');
    },
  };
}

async function task(initialState: unknown): Promise<unknown> {
  const { steps, onStepFinished } = await plan;
  const taskId = DBOS.workflowID;
  if (taskId === undefined) throw new Error('dbos subject: the task ran outside a workflow');
  const execution = executedHere(taskId);
  let state = initialState;
  for (const [i, step] of steps.entries()) {
    let functionID: number | undefined;
    // DBOS returns a recorded step's output without running it: functionID stays unset then.
    state = await DBOS.runStep(
      async () => {
        functionID = DBOS.stepID;
        if (functionID === undefined) throw new Error(`dbos subject: step ${step.name} has no step id`);
        if (execution.executed.length === 0) execution.resumedAfter = steps[i - 1]?.name ?? null;
        return step.run(state, stepContext(taskId, i, functionID));
      },
      { name: step.name },
    );
    if (functionID !== undefined) {
      execution.executed.push(step.name);
      onStepFinished(step.name, { id: recordedStepId(taskId, functionID), seq: functionID });
    }
  }
  return state;
}

async function commit(_taskId: string, step: string, state: Record<string, unknown>): Promise<void> {
  // The task id is the workflow's input, where the final state finds it.
  await DBOS.runStep(() => Promise.resolve(state), { name: step });
}

export const taskWorkflow = DBOS.registerWorkflow(task, { name: TASK_WORKFLOW });
export const commitWorkflow = DBOS.registerWorkflow(commit, { name: COMMIT_WORKFLOW });
