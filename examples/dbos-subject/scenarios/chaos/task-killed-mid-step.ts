import { defineScenario } from 'agentos-chaos/harness';

const task = { taskId: 'restart-task', steps: 8, workRounds: 20000, leaseDurationMs: 60_000 };

// The package's restart-after-kill, for every subject with a task runner, killed inside a step: it requires tasks
// only, so a subject without leases (DBOS) runs it too, and the criteria that judge leases are reported not applicable.
export default defineScenario({
  id: 'task-killed-mid-step',
  title: 'A task runner killed mid-step, restarted at once on the same machine (any task runner)',
  purpose:
    'A task runner killed with SIGKILL inside a step, its side effect done and the step not yet recorded, and started again at once, resumes the task by the subject’s own recovery: how long that takes, whether an acknowledged step is lost, and which steps run again.',
  seedTest: 'TestScenario7_FullE2E::test_full_e2e_with_recovery (restarted at once, on any subject with tasks)',
  procedure: [
    'A runner starts an 8-step task "restart-task". Each step logs its execution (steps.log), makes a side effect through an idempotency-keyed "API" (effects/<step>.log) and writes an artifact; the subject records the step and the runner acknowledges it (step.finished).',
    'The runner pauses in step 4 once the step made its side effect (waitAfterEffect), before the step returns; at that moment the harness kills it with SIGKILL: steps 1–3 are recorded and acknowledged, step 4’s effect is done and the step is not recorded.',
    'As soon as it has exited, a new runner starts on the same task and lets the subject resume it (this layer: the dead runner’s lease is taken over; DBOS: its launch recovers the PENDING workflow). Time to resume is measured from the SIGKILL to its first step started, process start included.',
  ],
  workers: [
    { name: 'first', workload: 'task-runner', params: { ...task, waitAfterEffect: 4 } },
    {
      name: 'resumer',
      workload: 'task-runner',
      params: task,
      start: { after: { kind: 'worker.exited', worker: 'first' } },
    },
  ],
  faults: [
    {
      kind: 'sigkill',
      target: 'first',
      inject: { after: { kind: 'step.effect', worker: 'first' } },
    },
  ],
  criteria: [
    {
      id: 'time-to-resume',
      description: 'From the SIGKILL to the new runner’s first step, process start included',
      seed: '—',
      ours: '≤ 1 s',
      check: { check: 'time-to-resume', fault: 'sigkill', resumer: 'resumer', maxMs: 1000 },
    },
    {
      id: 'succeeded',
      description: 'Final task status',
      seed: 'task reaches terminal state (succeeded)',
      ours: 'succeeded',
      check: { check: 'task-status', taskId: 'restart-task', status: 'succeeded' },
    },
    {
      id: 'resumed',
      description: 'The new runner went on after the last recorded step instead of starting over',
      seed: 'resume from checkpoint works',
      ours: '≥ 2 recorded steps skipped',
      check: { check: 'event-field', kind: 'task.finished', worker: 'resumer', field: 'skipped', min: 2 },
    },
    {
      id: 'acknowledged-present',
      description: 'Acknowledged steps lost: every step acknowledged before the kill is stored',
      seed: 'checkpoints survive crash',
      ours: '100 %',
      check: { check: 'acknowledged-checkpoints-present' },
    },
    {
      id: 'in-order-once',
      description:
        'Steps re-executed: step 4, cut off before it was recorded, runs again; none may run again after its acknowledgement, or be recorded twice',
      seed: '—',
      ours: '8 in order, 1 re-run (step 4), 0 violations',
      check: { check: 'committed-steps-not-rerun', taskId: 'restart-task' },
    },
    {
      id: 'effects-once',
      description: 'Side effects per step (effects/<step>.log), deduplicated by the step’s idempotency key',
      seed: '—',
      ours: 'each exactly once',
      check: { check: 'side-effects-exactly-once', dir: 'effects', files: 8 },
    },
    {
      id: 'no-stale-writes',
      description: 'Writes accepted under a stale epoch of the task lease (fencing)',
      seed: '—',
      ours: '0',
      check: { check: 'no-stale-epoch-writes' },
    },
    {
      id: 'integrity',
      description: 'Storage consistency check (PRAGMA integrity_check; amcheck)',
      seed: '—',
      ours: 'ok',
      check: { check: 'integrity-ok' },
    },
    {
      id: 'no-errors',
      description: 'No worker failed (the killed one aside)',
      seed: '—',
      ours: '0 errors',
      check: { check: 'no-worker-errors' },
    },
  ],
  timeoutMs: 60_000,
  requires: ['tasks'],
});
