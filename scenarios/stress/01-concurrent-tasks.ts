import { defineStress } from '../../harness/define.js';

export default defineStress({
  id: 'concurrent-tasks-100',
  title: '100 concurrent tasks',
  purpose:
    'A hundred processes, each checkpointing its own task at once, all succeed; throughput and tail are measured.',
  seedTest: 'TestConcurrentTaskExecution::test_100_concurrent_tasks',
  procedure: [
    'A hundred worker processes start and wait until all are ready, then are released together; each commits 5 checkpoints to its own task.',
    'Throughput, commit latency percentiles and the tail ratio are computed from the acknowledged commits.',
  ],
  workers: [
    {
      name: 'busy',
      workload: 'checkpoint-writer',
      count: 100,
      params: { taskId: 'stress-{worker}', count: 5, waitForGo: true },
    },
  ],
  commands: [{ to: 'busy', send: { cmd: 'go' }, on: { after: { kind: 'worker.ready', worker: 'busy', count: 100 } } }],
  criteria: [
    {
      id: 'success',
      description: 'Checkpoints committed (100 × 5)',
      seed: '95 %+ (475+/500)',
      ours: '100 % (500/500), gap-free per task',
      check: { check: 'sequence-gap-free', taskIdPrefix: 'stress-', expected: 500 },
    },
    {
      id: 'acknowledged',
      description: 'Every acknowledged commit present',
      seed: '—',
      ours: '100 %',
      check: { check: 'acknowledged-checkpoints-present' },
    },
    {
      id: 'no-errors',
      description: 'Worker errors and "database is locked"',
      seed: 'some failures acceptable',
      ours: '0',
      check: { check: 'no-worker-errors' },
    },
    {
      id: 'throughput-busy',
      description: 'Commit throughput',
      seed: '~3–5 tasks/s',
      ours: 'reported',
      check: { check: 'commit-throughput', worker: 'busy' },
      kind: 'target',
    },
    {
      id: 'latency-busy',
      description: 'Commit latency',
      seed: '—',
      ours: 'P99 ≤ 1 s',
      check: { check: 'commit-latency', worker: 'busy', percentile: 99, maxMs: 1000 },
      kind: 'target',
      alert: ['checkpoint_creation_latency_p95', 'checkpoint_creation_latency_p99'],
    },
    {
      id: 'tail-ratio-busy',
      description: 'Tail ratio P99 ÷ (N ÷ throughput)',
      seed: '—',
      ours: '≤ 2',
      check: { check: 'tail-ratio', worker: 'busy', max: 2 },
      kind: 'target',
    },
    {
      id: 'wall',
      description: 'Wall time from the release to the last exit',
      seed: '~20–30 s',
      ours: '≤ 15 s',
      check: { check: 'wall-time', from: 'command.sent', where: { to: 'busy' }, worker: 'busy', maxMs: 15_000 },
      kind: 'target',
    },
    {
      id: 'rss',
      description: 'Peak worker RSS',
      seed: '—',
      ours: '≤ 80 MB',
      check: { check: 'peak-worker-rss', maxMb: 80 },
      kind: 'target',
    },
  ],
  timeoutMs: 180_000,
  // Its workers only commit checkpoints: it runs on every subject.
  requires: ['checkpoints'],
});
