import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'pg-server-paused',
  title: 'Database server frozen mid-run',
  purpose:
    'Every PostgreSQL process is frozen (SIGSTOP) for a second while four workers commit: connections hang rather than fail, and when it resumes nothing acknowledged is lost and every worker finishes.',
  seedTest: '—',
  procedure: [
    'A throwaway PostgreSQL cluster is started for the run and the subject is pointed at it.',
    'Four workers commit 50 checkpoints each to their own task, recording every commit as an operation.',
    'After 40 acknowledged commits, every server process gets SIGSTOP; 1 s later, SIGCONT.',
    'The harness checks every operation against what the subject stores.',
  ],
  workers: [
    {
      name: 'writer',
      workload: 'checkpoint-writer',
      count: 4,
      params: { taskId: 'frozen-{worker}', count: 50, recordOps: true },
    },
  ],
  faults: [
    { kind: 'pg-crash', mode: 'pause', inject: { after: { kind: 'checkpoint.committed', count: 40 } }, downMs: 1000 },
  ],
  criteria: [
    {
      id: 'operations-durable',
      description: 'Acknowledged commits present once, failed ones absent, unknown ones at most once',
      seed: '—',
      ours: '0 violations',
      check: { check: 'operations-durable' },
    },
    {
      id: 'gap-free',
      description: 'Sequence numbers stay 1..n per task',
      seed: '—',
      ours: 'gap-free',
      check: { check: 'sequence-gap-free', taskIdPrefix: 'frozen-' },
    },
    {
      id: 'every-worker-finished',
      description: 'Every worker finished its 50 commits once the server resumed',
      seed: '—',
      ours: '0 worker errors',
      check: { check: 'no-worker-errors', allowKilled: false },
    },
  ],
  timeoutMs: 60_000,
  requires: ['checkpoints', 'server'],
});
