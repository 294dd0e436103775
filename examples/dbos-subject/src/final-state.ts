import { DBOSClient, type WorkflowStatus } from '@dbos-inc/dbos-sdk';
import { amcheck, type FinalState, type StoredCheckpoint, type SubjectConfig } from 'agentos-chaos/harness';
import { stderrLogger } from './logger.js';
import { APP_NAME, systemDatabaseUrl, systemSchema, withConnection } from './system-database.js';
import { COMMIT_WORKFLOW, TASK_WORKFLOW, recordedStepId } from './workflows.js';

/** DBOS's workflow statuses in the layer's words; the others (CANCELLED, …) are shown as DBOS names them. */
const TASK_STATUS: Record<string, string> = {
  SUCCESS: 'succeeded',
  PENDING: 'running',
  ENQUEUED: 'running',
  ERROR: 'failed',
};

/**
 * The run's state read through DBOS's own client: every step DBOS recorded (without error) is a stored checkpoint; a
 * task's steps carry DBOS's function id as their sequence number; a commit's step is known by its workflow id and
 * carries the checkpoint's token. Tasks are the task workflows with their statuses; integrity is amcheck on the schema.
 */
export async function readFinalState(config: SubjectConfig): Promise<FinalState> {
  const client = await DBOSClient.create({
    systemDatabaseUrl: systemDatabaseUrl(config, 'harness'),
    systemDatabaseSchemaName: systemSchema(config),
    applicationName: APP_NAME,
    logger: stderrLogger,
  });
  const checkpoints: StoredCheckpoint[] = [];
  const tasks: Record<string, string> = {};
  try {
    for (const workflow of await client.listWorkflows({ loadInput: true, loadOutput: false })) {
      const steps = ((await client.listWorkflowSteps(workflow.workflowID)) ?? []).filter((s) => s.error === null);
      if (workflow.workflowName === TASK_WORKFLOW) {
        tasks[workflow.workflowID] = TASK_STATUS[workflow.status] ?? workflow.status.toLowerCase();
        for (const s of steps)
          checkpoints.push({
            id: recordedStepId(workflow.workflowID, s.functionID),
            taskId: workflow.workflowID,
            seq: s.functionID,
            step: s.name,
          });
      } else if (workflow.workflowName === COMMIT_WORKFLOW) {
        const taskId = commitTask(workflow);
        for (const s of steps)
          checkpoints.push({ id: workflow.workflowID, taskId, step: s.name, ...tokenOf(s.output) });
      }
    }
  } finally {
    await client.destroy();
  }
  const integrity = await withConnection(config, 'harness', (c) => amcheck(c, systemSchema(config)));
  return { checkpoints, latest: {}, integrity, tasks };
}

/** A commit workflow's task: its first input. */
function commitTask(workflow: WorkflowStatus): string {
  const taskId = workflow.input?.[0];
  if (typeof taskId !== 'string') throw new Error(`commit workflow ${workflow.workflowID} has no task id as its input`);
  return taskId;
}

function tokenOf(output: unknown): { token?: string } {
  const token = typeof output === 'object' && output !== null ? (output as { token?: unknown }).token : undefined;
  return typeof token === 'string' ? { token } : {};
}
