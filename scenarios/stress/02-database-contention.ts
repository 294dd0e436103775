import { defineStress } from '../../harness/define.js';

export default defineStress({
  id: 'database-contention',
  title: 'Database contention',
  purpose: 'Twenty processes checkpointing the same task at once get unique, gap-free sequence numbers, all of them.',
  seedTest: 'TestConcurrentTaskExecution::test_concurrent_checkpoint_conflicts',
  procedure: [
    'Twenty worker processes start, wait, and are released together; each commits 20 checkpoints to the same task.',
    'Sequence numbers must be exactly 1..400; throughput, latency and the tail ratio are reported.',
  ],
  workers: [
    {
      name: 'busy',
      workload: 'checkpoint-writer',
      count: 20,
      params: { taskId: 'contended-task', count: 20, waitForGo: true },
    },
  ],
  commands: [{ to: 'busy', send: { cmd: 'go' }, on: { after: { kind: 'worker.ready', worker: 'busy', count: 20 } } }],
  criteria: [
    {
      id: 'success',
      description: 'Checkpoints committed to one task (20 × 20)',
      seed: '90 %+ (360+/400)',
      ours: '100 % (400/400), unique and gap-free',
      check: { check: 'sequence-gap-free', taskId: 'contended-task', expected: 400 },
    },
    {
      id: 'acknowledged',
      description: 'Every acknowledged commit present with its sequence number',
      seed: '—',
      ours: '100 %',
      check: { check: 'acknowledged-checkpoints-present' },
    },
    {
      id: 'no-errors',
      description: 'Worker errors and "database is locked"',
      seed: '—',
      ours: '0',
      check: { check: 'no-worker-errors' },
    },
    {
      id: 'throughput-busy',
      description: 'Commit throughput',
      seed: '—',
      ours: 'reported',
      check: { check: 'commit-throughput', worker: 'busy' },
      kind: 'target',
    },
    {
      id: 'latency-busy',
      description: 'Commit latency',
      seed: '—',
      ours: 'P99 ≤ 500 ms',
      check: { check: 'commit-latency', worker: 'busy', percentile: 99, maxMs: 500 },
      kind: 'target',
    },
    {
      id: 'tail-ratio-busy',
      description: 'Tail ratio P99 ÷ (N ÷ throughput)',
      seed: '—',
      ours: '≤ 2',
      check: { check: 'tail-ratio', worker: 'busy', max: 2 },
      kind: 'target',
    },
  ],
  timeoutMs: 60_000,
  // Its workers only commit checkpoints: it runs on every subject.
  requires: ['checkpoints'],
});
