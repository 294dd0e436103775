import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'full-e2e-recovery',
  title: 'Full end-to-end recovery',
  purpose: 'A task killed mid-way resumes in a new process from its last verified checkpoint and finishes.',
  seedTest: 'TestScenario7_FullE2E::test_full_e2e_with_recovery',
  procedure: [
    'A worker runs an 8-step task with the TaskRunner; every step writes an artifact, proves it with evidence, and is checkpointed.',
    'After a seeded random number (2–5) of finished steps, the harness sends SIGKILL.',
    "A new worker starts; the dead worker's task lease (3 s) ends without anyone waiting (on SQLite the new worker's clock is moved just past it, on PostgreSQL it expires by the server's clock), then it runs the same task: it must resume after the last verified checkpoint and finish \"succeeded\", and no step whose checkpoint had committed may run again.",
  ],
  workers: [
    {
      name: 'first',
      workload: 'task-runner',
      params: { taskId: 'e2e-task', steps: 8, workRounds: 20000, leaseDurationMs: 3000 },
    },
    {
      name: 'resumer',
      workload: 'task-runner',
      params: { taskId: 'e2e-task', steps: 8, workRounds: 20000, leaseDurationMs: 3000, waitForGo: true },
      start: { after: { kind: 'worker.exited', worker: 'first' } },
    },
  ],
  faults: [
    {
      kind: 'sigkill',
      target: 'first',
      inject: { after: { kind: 'step.finished', worker: 'first', count: { min: 2, max: 5 } } },
    },
    {
      kind: 'lease-expiry',
      target: 'first',
      seenBy: 'resumer',
      inject: { after: { kind: 'worker.ready', worker: 'resumer' } },
    },
  ],
  commands: [
    {
      to: 'resumer',
      send: { cmd: 'go' },
      on: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'lease-expiry' } } },
    },
  ],
  criteria: [
    {
      id: 'succeeded',
      description: 'Final task status',
      seed: 'task reaches terminal state (succeeded)',
      ours: 'succeeded',
      check: { check: 'task-status', taskId: 'e2e-task', status: 'succeeded' },
    },
    {
      id: 'resumed',
      description: 'The new worker resumed instead of starting over',
      seed: 'resume from checkpoint works',
      ours: '≥ 2 committed steps skipped',
      check: { check: 'event-field', kind: 'task.finished', worker: 'resumer', field: 'skipped', min: 2 },
    },
    {
      id: 'no-rerun',
      description: 'Committed steps executed again',
      seed: '—',
      ours: '0',
      check: { check: 'committed-steps-not-rerun', taskId: 'e2e-task' },
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
      description: 'Storage consistency check (PRAGMA integrity_check; amcheck)',
      seed: 'crash does not corrupt the database',
      ours: 'ok',
      check: { check: 'integrity-ok' },
    },
  ],
  timeoutMs: 60_000,
  requires: ['tasks', 'leases'],
});
