import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'pg-server-crash',
  title: 'Database server crash mid-run',
  purpose:
    'The PostgreSQL server is killed with every process at once while four workers commit; it restarts, and nothing acknowledged is lost.',
  seedTest: '—',
  procedure: [
    'A throwaway PostgreSQL cluster is started for the run and the subject is pointed at it.',
    'Four workers commit 50 checkpoints each to their own task, recording every commit as an operation.',
    'After 40 acknowledged commits, every server process gets SIGKILL; 500 ms later the server is started again and replays its WAL.',
    'Workers whose commits fail reconnect and go on; a commit lost with its connection is an operation of unknown outcome.',
    'The harness checks every operation against what the subject stores, and the storage with amcheck.',
  ],
  workers: [
    {
      name: 'writer',
      workload: 'checkpoint-writer',
      count: 4,
      params: { taskId: 'crash-{worker}', count: 50, recordOps: true },
    },
  ],
  faults: [{ kind: 'pg-crash', inject: { after: { kind: 'checkpoint.committed', count: 40 } }, downMs: 500 }],
  criteria: [
    {
      id: 'operations-durable',
      description: 'Acknowledged commits present once, failed ones absent, unknown ones at most once',
      seed: '—',
      ours: '0 violations',
      check: { check: 'operations-durable' },
    },
    {
      id: 'acknowledged-present',
      description: 'Every acknowledged checkpoint survived the crash',
      seed: '—',
      ours: '100 %',
      check: { check: 'acknowledged-checkpoints-present' },
    },
    {
      id: 'gap-free',
      description: 'Sequence numbers stay 1..n per task across the crash',
      seed: '—',
      ours: 'gap-free',
      check: { check: 'sequence-gap-free', taskIdPrefix: 'crash-' },
    },
    {
      id: 'every-worker-finished',
      description: 'Every worker reconnected and finished its 50 commits',
      seed: '—',
      ours: '0 worker errors',
      check: { check: 'no-worker-errors', allowKilled: false },
    },
    {
      id: 'integrity',
      description: 'amcheck on every index after crash recovery',
      seed: '—',
      ours: 'ok',
      check: { check: 'integrity-ok' },
    },
  ],
  timeoutMs: 60_000,
  requires: ['checkpoints', 'server'],
});
