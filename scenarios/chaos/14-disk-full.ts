import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'disk-full',
  title: 'The disk fills up while writers commit',
  purpose:
    'A full disk is reported as a typed error, loses nothing acknowledged, and writing carries on once space returns.',
  seedTest: '— (not in the seed: disk full)',
  procedure: [
    'The run folder is put on a 32 MB file system of its own. Two writers commit 150 checkpoints each, 1 ms apart, recording every attempt as an operation.',
    'After the 40th commit the harness fills the file system to the last byte: commits fail with DiskFullError, and the writers retry.',
    'After three refused commits the harness frees the space; the writers carry on and finish.',
  ],
  workers: [
    {
      name: 'writer',
      workload: 'checkpoint-writer',
      count: 2,
      params: { taskId: 'task-{worker}', count: 150, intervalMs: 1, recordOps: true },
    },
  ],
  faults: [
    {
      kind: 'disk-full',
      sizeMb: 32,
      inject: { after: { kind: 'checkpoint.committed', worker: 'writer', count: 40 } },
      heal: { after: { kind: 'op.fail', worker: 'writer', count: 3 } },
    },
  ],
  criteria: [
    {
      id: 'durable',
      description: 'Acknowledged commits present once, refused ones absent',
      seed: '—',
      ours: '0 violations',
      check: { check: 'operations-durable' },
    },
    {
      id: 'all-committed',
      description: 'Every checkpoint committed in the end, numbered 1..n per task',
      seed: '—',
      ours: '300, gap-free',
      check: { check: 'sequence-gap-free', taskIdPrefix: 'task-writer', expected: 300 },
    },
    {
      id: 'refused',
      description: 'Commits refused with DiskFullError while the disk was full',
      seed: '—',
      ours: '≥ 3',
      check: { check: 'event-count', kind: 'op.fail', where: { error: 'DiskFullError' }, min: 3 },
    },
    { id: 'integrity', description: 'PRAGMA integrity_check', seed: '—', ours: 'ok', check: { check: 'integrity-ok' } },
    {
      id: 'no-errors',
      description: 'No worker failed',
      seed: '—',
      ours: '0 errors',
      check: { check: 'no-worker-errors' },
    },
  ],
  timeoutMs: 30_000,
  // The disk that fills is the run folder's, where this layer's SQLite file is.
  requires: ['sqlite-file', 'checkpoints'],
});
