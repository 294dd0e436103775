import { defineScenario } from '../../harness/define.js';

const task = { taskId: 'order-1', steps: 8, workRounds: 20000, leaseDurationMs: 3000 };

export default defineScenario({
  id: 'pg-runner-killed',
  title: 'A task runner killed on one host, resumed on another',
  purpose:
    'On a shared server a task has one owner at a time: of two runners released together one runs it and the other is turned away; the owner is killed mid-task, its lease ends by the server’s clock, and a runner elsewhere resumes after the last checkpoint. Every step runs and takes effect once, in order.',
  seedTest: 'TestScenario7_FullE2E::test_full_e2e_with_recovery (on a server, with task ownership)',
  procedure: [
    'Two task-runner processes are released together on task "order-1" (8 steps, 3 s task lease). Each step logs its execution, makes a side effect through an idempotency-keyed "API" (effects/<step>.log), writes an artifact proved by evidence, and is checkpointed.',
    'The owner pauses at the start of its third step until the runner that lost the race has reported the task busy (so the loser always meets a live owner: on one machine a dead owner is taken over at once). After a seeded random number (3–5) of finished steps, the harness kills the owner with SIGKILL.',
    "The dead owner's task lease is expired by the server's clock (no waiting); then a third runner starts, takes the task over at a higher epoch, resumes after the last checkpoint and finishes it.",
  ],
  workers: [
    { name: 'runners', workload: 'task-runner', count: 2, params: { ...task, waitForGo: true, waitInStep: 3 } },
    {
      name: 'resumer',
      workload: 'task-runner',
      params: task,
      start: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'lease-expiry' } } },
    },
  ],
  faults: [
    {
      kind: 'sigkill',
      target: 'runners',
      inject: { after: { kind: 'step.finished', worker: 'runners', count: { min: 3, max: 5 } } },
    },
    {
      kind: 'lease-expiry',
      target: 'runners',
      inject: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'sigkill' } } },
    },
  ],
  commands: [
    { to: 'runners', send: { cmd: 'go' }, on: { after: { kind: 'worker.ready', worker: 'runners', count: 2 } } },
    { to: 'runners', send: { cmd: 'go' }, on: { after: { kind: 'task.busy', worker: 'runners' } } },
  ],
  criteria: [
    {
      id: 'busy',
      description: 'Runners turned away because another owned the task',
      seed: '—',
      ours: '1',
      check: { check: 'event-count', kind: 'task.busy', equals: 1 },
    },
    {
      id: 'succeeded',
      description: 'Final task status',
      seed: 'task reaches terminal state (succeeded)',
      ours: 'succeeded',
      check: { check: 'task-status', taskId: 'order-1', status: 'succeeded' },
    },
    {
      id: 'resumed',
      description: 'The resumer went on after the last checkpoint instead of starting over',
      seed: 'resume from checkpoint works',
      ours: '≥ 2 committed steps skipped',
      check: { check: 'event-field', kind: 'task.finished', worker: 'resumer', field: 'skipped', min: 2 },
    },
    {
      id: 'in-order-once',
      description: 'Steps committed once each, in order; none re-run after its commit',
      seed: '—',
      ours: '8 in order, 0 violations',
      check: { check: 'committed-steps-not-rerun', taskId: 'order-1' },
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
      description: 'Writes accepted under a stale epoch of the task lease',
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
    { id: 'integrity', description: 'amcheck', seed: '—', ours: 'ok', check: { check: 'integrity-ok' } },
    {
      id: 'no-errors',
      description: 'No worker failed (the killed one aside)',
      seed: '—',
      ours: '0 errors',
      check: { check: 'no-worker-errors' },
    },
  ],
  timeoutMs: 60_000,
  requires: ['tasks', 'leases', 'server'],
});
