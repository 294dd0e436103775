import { defineStress } from '../../harness/define.js';

export default defineStress({
  id: 'concurrent-tasks-100',
  title: '100 concurrent tasks',
  purpose: 'A hundred processes, each checkpointing its own task at once, all succeed; throughput and tail are measured.',
  seedTest: 'TestConcurrentTaskExecution::test_100_concurrent_tasks',
  procedure: [
    'A hundred worker processes start and wait until all are ready.',
    'The harness releases them together; each commits 5 checkpoints to its own task (500 in all).',
    'Throughput, commit latency percentiles and the tail ratio are computed from the acknowledged commits.',
  ],
  workers: [{ name: 'task', workload: 'checkpoint-writer', count: 100, params: { taskId: 'stress-{worker}', count: 5, waitForGo: true } }],
  commands: [{ to: 'task', send: { cmd: 'go' }, on: { after: { kind: 'worker.ready', worker: 'task', count: 100 } } }],
  criteria: [
    { id: 'success', description: 'Checkpoints committed (100 × 5)', seed: '95 %+ (475+/500)', ours: '100 % (500/500), gap-free per task', check: { check: 'sequence-gap-free', taskIdPrefix: 'stress-task-', expected: 500 } },
    { id: 'acknowledged', description: 'Every acknowledged commit present', seed: '—', ours: '100 %', check: { check: 'acknowledged-checkpoints-present' } },
    { id: 'no-errors', description: 'Worker errors and "database is locked"', seed: 'some failures acceptable', ours: '0', check: { check: 'no-worker-errors' } },
    { id: 'wall', description: 'Wall time from the release to the last exit', seed: '~20–30 s', ours: '≤ 15 s', check: { check: 'wall-time', from: 'command.sent', maxMs: 15_000 }, kind: 'target' },
    { id: 'throughput', description: 'Commit throughput', seed: '~3–5 tasks/s', ours: 'reported', check: { check: 'commit-throughput' }, kind: 'target' },
    { id: 'latency', description: 'Commit latency under contention', seed: '—', ours: 'P99 reported (≤ 1 s)', check: { check: 'commit-latency', percentile: 99, maxMs: 1000 }, kind: 'target' },
    { id: 'tail-ratio', description: 'Tail ratio P99 ÷ (N ÷ throughput)', seed: '—', ours: '≤ 2', check: { check: 'tail-ratio', max: 2 }, kind: 'target' },
    { id: 'rss', description: 'Peak worker RSS', seed: '—', ours: '≤ 80 MB', check: { check: 'peak-worker-rss', maxMb: 80 }, kind: 'target' },
  ],
  timeoutMs: 120_000,
});
