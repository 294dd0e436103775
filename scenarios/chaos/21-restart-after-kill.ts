import { defineScenario } from '../../harness/define.js';

const task = { taskId: 'restart-task', steps: 8, workRounds: 20000, leaseDurationMs: 60_000 };

export default defineScenario({
  id: 'restart-after-kill',
  title: 'Restart at once after a kill on the same machine',
  purpose:
    'A task runner killed with SIGKILL and started again at once on the same machine resumes at once: its dead predecessor’s task lease (60 s) is taken over because its process is provably gone, not waited out. No clock is moved.',
  seedTest: 'TestScenario7_FullE2E::test_full_e2e_with_recovery (restarted at once, without clock skew)',
  procedure: [
    'A runner starts an 8-step task "restart-task" with a 60 s task lease. Each step logs its execution, makes a side effect through an idempotency-keyed "API" (effects/<step>.log), writes an artifact proved by evidence, and is checkpointed.',
    'After a seeded random number (2–5) of finished steps, the harness kills it with SIGKILL.',
    'As soon as it has exited, a new runner starts on the same task. Nothing expires its lease and no clock is moved: it must take the task over from its dead predecessor, resume after the last checkpoint and finish it. Time to resume is measured from the SIGKILL to its first step started, process start included.',
  ],
  workers: [
    { name: 'first', workload: 'task-runner', params: task },
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
      inject: { after: { kind: 'step.finished', worker: 'first', count: { min: 2, max: 5 } } },
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
      id: 'not-busy',
      description: 'New runners turned away because the dead one still owned the task (TaskBusyError)',
      seed: '—',
      ours: '0',
      check: { check: 'event-count', kind: 'task.busy', equals: 0 },
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
      description: 'The new runner went on after the last checkpoint instead of starting over',
      seed: 'resume from checkpoint works',
      ours: '≥ 2 committed steps skipped',
      check: { check: 'event-field', kind: 'task.finished', worker: 'resumer', field: 'skipped', min: 2 },
    },
    {
      id: 'in-order-once',
      description: 'Steps committed once each, in order; none re-run after its commit',
      seed: '—',
      ours: '8 in order, 0 violations',
      check: { check: 'committed-steps-not-rerun', taskId: 'restart-task' },
    },
    {
      id: 'effects-once',
      description: 'Side effects per step (effects/<step>.log)',
      seed: '—',
      ours: 'each exactly once',
      check: { check: 'side-effects-exactly-once', dir: 'effects', files: 8 },
    },
    {
      id: 'no-stale-writes',
      description: 'Writes accepted under a stale epoch of the task lease (the takeover is a grant)',
      seed: '—',
      ours: '0',
      check: { check: 'no-stale-epoch-writes' },
    },
    {
      id: 'acknowledged-present',
      description: 'Every acknowledged step checkpoint survived the kill',
      seed: 'checkpoints survive crash',
      ours: '100 %',
      check: { check: 'acknowledged-checkpoints-present' },
    },
    {
      id: 'integrity',
      description: 'Storage consistency check',
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
  requires: ['tasks', 'leases'],
});
