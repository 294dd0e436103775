import { writeAdmissionCriteria } from '../../harness/admission-criteria.js';
import { defineStress } from '../../harness/define.js';

export default defineStress({
  id: 'concurrent-tasks-100',
  title: '100 concurrent tasks',
  purpose: 'A hundred processes, each checkpointing its own task at once, all succeed; throughput and tail are measured with both write-admission strategies.',
  seedTest: 'TestConcurrentTaskExecution::test_100_concurrent_tasks',
  procedure: [
    'Phase 1 (SQLite busy handler): a hundred worker processes start and wait until all are ready, then are released together; each commits 5 checkpoints to its own task.',
    'Phase 2 (fair admission): the same with a fresh hundred processes once phase 1 has exited.',
    'Throughput, commit latency percentiles and the tail ratio are computed per phase from the acknowledged commits.',
  ],
  workers: [
    { name: 'busy', workload: 'checkpoint-writer', count: 100, writeAdmission: 'busy-handler', params: { taskId: 'stress-{worker}', count: 5, waitForGo: true } },
    {
      name: 'fair',
      workload: 'checkpoint-writer',
      count: 100,
      writeAdmission: 'fair',
      params: { taskId: 'stress-{worker}', count: 5, waitForGo: true },
      start: { after: { kind: 'worker.exited', worker: 'busy', count: 100 } },
    },
  ],
  commands: [
    { to: 'busy', send: { cmd: 'go' }, on: { after: { kind: 'worker.ready', worker: 'busy', count: 100 } } },
    { to: 'fair', send: { cmd: 'go' }, on: { after: { kind: 'worker.ready', worker: 'fair', count: 100 } } },
  ],
  criteria: [
    { id: 'success', description: 'Checkpoints committed (2 phases × 100 × 5)', seed: '95 %+ (475+/500)', ours: '100 % (1000/1000), gap-free per task', check: { check: 'sequence-gap-free', taskIdPrefix: 'stress-', expected: 1000 } },
    { id: 'acknowledged', description: 'Every acknowledged commit present', seed: '—', ours: '100 %', check: { check: 'acknowledged-checkpoints-present' } },
    { id: 'no-errors', description: 'Worker errors and "database is locked"', seed: 'some failures acceptable', ours: '0', check: { check: 'no-worker-errors' } },
    ...writeAdmissionCriteria({ latencyP99Ms: 1000, throughputSeed: '~3–5 tasks/s' }),
    { id: 'wall', description: 'Wall time from the release to the last exit, busy handler phase', seed: '~20–30 s', ours: '≤ 15 s', check: { check: 'wall-time', from: 'command.sent', where: { to: 'busy' }, worker: 'busy', maxMs: 15_000 }, kind: 'target' },
    { id: 'wall-fair', description: 'Wall time from the release to the last exit, fair admission phase', seed: '~20–30 s', ours: '≤ 15 s', check: { check: 'wall-time', from: 'command.sent', where: { to: 'fair' }, worker: 'fair', maxMs: 15_000 }, kind: 'target' },
    { id: 'rss', description: 'Peak worker RSS', seed: '—', ours: '≤ 80 MB', check: { check: 'peak-worker-rss', maxMb: 80 }, kind: 'target' },
  ],
  timeoutMs: 180_000,
});
