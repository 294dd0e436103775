import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'concurrent-checkpoints',
  title: 'Concurrent checkpoint writes',
  purpose: 'Ten processes committing to one task at once, while another process holds the write lock, lose nothing.',
  seedTest: 'TestScenario2_ConcurrentCheckpoints::test_concurrent_checkpoint_writes',
  procedure: [
    'Ten worker processes start and wait until all are ready.',
    'A separate process takes the write lock and holds it for 300 ms (lock-contention fault).',
    'While it is held, the harness releases the ten workers together; each commits 10 checkpoints to the same task, so every commit contends for the write lock and for the next sequence number.',
    'The harness counts the checkpoints, checks their sequence numbers and the database integrity.',
  ],
  workers: [
    {
      name: 'writer',
      workload: 'checkpoint-writer',
      count: 10,
      params: { taskId: 'shared-task', count: 10, waitForGo: true },
    },
  ],
  commands: [{ to: 'writer', send: { cmd: 'go' }, on: { after: { kind: 'lock.held' } } }],
  faults: [
    {
      kind: 'lock-contention',
      holdMs: 300,
      inject: { after: { kind: 'worker.ready', worker: 'writer', count: 10 } },
    },
  ],
  criteria: [
    {
      id: 'all-committed',
      description: 'Checkpoints committed out of 10 workers × 10',
      seed: '90+ checkpoints (90 % success)',
      ours: '100/100, unique, gap-free',
      check: { check: 'sequence-gap-free', taskId: 'shared-task', expected: 100 },
    },
    {
      id: 'acknowledged-present',
      description: 'Every acknowledged commit is in the database with the sequence number it was given',
      seed: '—',
      ours: '100 %',
      check: { check: 'acknowledged-checkpoints-present' },
    },
    {
      id: 'never-locked',
      description: 'No worker saw "database is locked" or failed',
      seed: 'no database deadlocks',
      ours: '0 errors',
      check: { check: 'no-worker-errors' },
    },
    {
      id: 'integrity',
      description: 'PRAGMA integrity_check',
      seed: 'no database corruption',
      ours: 'ok',
      check: { check: 'integrity-ok' },
    },
  ],
  timeoutMs: 30_000,
  // Its workers only commit checkpoints: it runs on every subject.
  requires: ['checkpoints'],
});
