import { defineScenario } from '../../harness/define.js';

const task = { taskId: 'order-1', steps: 6, workRounds: 20000, leaseDurationMs: 3000, waitForGo: true };

export default defineScenario({
  id: 'concurrent-runners',
  title: 'Two runners start one task at once',
  purpose:
    'A task has one owner at a time: of two runners started together one runs it and the other is turned away; after the owner is killed, a third resumes it. Every step runs and takes effect once, in order.',
  seedTest: '— (not in the seed: task ownership)',
  procedure: [
    'Two task-runner processes wait until both are ready, then are released together on task "order-1" (6 steps, 3 s task lease). Each step logs its execution, makes a side effect through an idempotency-keyed "API" (effects/<step>.log) and is checkpointed.',
    'The runner that loses the race reports the task busy; at that moment the harness kills both with SIGKILL (the owner mid-task).',
    "A third runner starts; the dead owner's lease ends without anyone waiting (on SQLite the third runner's clock is moved just past it, on PostgreSQL it expires by the server's clock) and the runner is released: it takes the task over and finishes it.",
  ],
  workers: [
    { name: 'runners', workload: 'task-runner', count: 2, params: task },
    {
      name: 'resumer',
      workload: 'task-runner',
      params: task,
      start: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'sigkill' } } },
    },
  ],
  faults: [
    { kind: 'sigkill', target: 'runners', inject: { after: { kind: 'task.busy', worker: 'runners' } } },
    {
      kind: 'lease-expiry',
      target: 'runners',
      seenBy: 'resumer',
      inject: { after: { kind: 'worker.ready', worker: 'resumer' } },
    },
  ],
  commands: [
    { to: 'runners', send: { cmd: 'go' }, on: { after: { kind: 'worker.ready', worker: 'runners', count: 2 } } },
    {
      to: 'resumer',
      send: { cmd: 'go' },
      on: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'lease-expiry' } } },
    },
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
      seed: '—',
      ours: 'succeeded',
      check: { check: 'task-status', taskId: 'order-1', status: 'succeeded' },
    },
    {
      id: 'in-order-once',
      description: 'Steps committed once each, in order; none re-run after its commit',
      seed: '—',
      ours: '6 in order, 0 violations',
      check: { check: 'committed-steps-not-rerun', taskId: 'order-1' },
    },
    {
      id: 'effects-once',
      description: 'Side effects per step (effects/<step>.log)',
      seed: '—',
      ours: 'each exactly once',
      check: { check: 'side-effects-exactly-once', dir: 'effects', files: 6 },
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
      seed: '—',
      ours: '100 %',
      check: { check: 'acknowledged-checkpoints-present' },
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
      description: 'No worker failed (the killed ones aside)',
      seed: '—',
      ours: '0 errors',
      check: { check: 'no-worker-errors' },
    },
  ],
  timeoutMs: 60_000,
  requires: ['tasks', 'leases'],
});
