import { writeAdmissionCriteria } from '../../harness/admission-criteria.js';
import { defineStress } from '../../harness/define.js';

export default defineStress({
  id: 'database-contention',
  title: 'Database contention',
  purpose: 'Twenty processes checkpointing the same task at once get unique, gap-free sequence numbers, all of them, with either write-admission strategy.',
  seedTest: 'TestConcurrentTaskExecution::test_concurrent_checkpoint_conflicts',
  procedure: [
    'Phase 1 (SQLite busy handler): twenty worker processes start, wait, and are released together; each commits 20 checkpoints to the same task.',
    'Phase 2 (fair admission): twenty fresh processes do the same to the same task once phase 1 has exited.',
    'Sequence numbers must be exactly 1..800; throughput, latency and the tail ratio are reported per phase.',
  ],
  workers: [
    { name: 'busy', workload: 'checkpoint-writer', count: 20, writeAdmission: 'busy-handler', params: { taskId: 'contended-task', count: 20, waitForGo: true } },
    {
      name: 'fair',
      workload: 'checkpoint-writer',
      count: 20,
      writeAdmission: 'fair',
      params: { taskId: 'contended-task', count: 20, waitForGo: true },
      start: { after: { kind: 'worker.exited', worker: 'busy', count: 20 } },
    },
  ],
  commands: [
    { to: 'busy', send: { cmd: 'go' }, on: { after: { kind: 'worker.ready', worker: 'busy', count: 20 } } },
    { to: 'fair', send: { cmd: 'go' }, on: { after: { kind: 'worker.ready', worker: 'fair', count: 20 } } },
  ],
  criteria: [
    { id: 'success', description: 'Checkpoints committed to one task (2 phases × 20 × 20)', seed: '90 %+ (360+/400)', ours: '100 % (800/800), unique and gap-free', check: { check: 'sequence-gap-free', taskId: 'contended-task', expected: 800 } },
    { id: 'acknowledged', description: 'Every acknowledged commit present with its sequence number', seed: '—', ours: '100 %', check: { check: 'acknowledged-checkpoints-present' } },
    { id: 'no-errors', description: 'Worker errors and "database is locked"', seed: '—', ours: '0', check: { check: 'no-worker-errors' } },
    ...writeAdmissionCriteria({ latencyP99Ms: 500 }),
  ],
  timeoutMs: 60_000,
});
