import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'pg-backend-terminated',
  title: 'Connections terminated by the server',
  purpose:
    "The server ends the workers' connections (pg_terminate_backend) while they commit; they reconnect and lose nothing acknowledged.",
  seedTest: '—',
  procedure: [
    'Three workers commit 60 checkpoints each to their own task, recording every commit as an operation.',
    'After 30 acknowledged commits, the harness terminates every server connection of the workers; a commit in flight fails with its outcome unknown.',
    'The workers reconnect and finish; the harness checks every operation against what the subject stores.',
  ],
  workers: [
    {
      name: 'writer',
      workload: 'checkpoint-writer',
      count: 3,
      params: { taskId: 'terminated-{worker}', count: 60, recordOps: true },
    },
  ],
  faults: [{ kind: 'pg-terminate', target: 'writer', inject: { after: { kind: 'checkpoint.committed', count: 30 } } }],
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
      check: { check: 'sequence-gap-free', taskIdPrefix: 'terminated-' },
    },
    {
      id: 'every-worker-finished',
      description: 'Every worker reconnected and finished its 60 commits',
      seed: '—',
      ours: '0 worker errors',
      check: { check: 'no-worker-errors', allowKilled: false },
    },
  ],
  timeoutMs: 60_000,
  requires: ['checkpoints', 'server'],
});
