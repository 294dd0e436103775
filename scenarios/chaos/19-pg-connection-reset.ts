import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'pg-connection-reset',
  title: 'Slow, then reset connections to the server',
  purpose:
    'Two workers reach the server over a slow link that is then cut (every connection reset) while a third, connected directly, goes on: the far workers reconnect, and nothing acknowledged is lost.',
  seedTest: '—',
  procedure: [
    'Workers "far" (2) connect through a TCP proxy that delays every chunk by 20 ms; worker "near" connects directly. Each commits 40 checkpoints to its own task, recording every commit as an operation.',
    'After 10 acknowledged commits of the far workers, the proxy resets every connection of the far workers (RST to both ends); a commit in flight fails with its outcome unknown.',
    'The far workers reconnect through the proxy and finish; the harness checks every operation against what the subject stores.',
  ],
  workers: [
    {
      name: 'far',
      workload: 'checkpoint-writer',
      count: 2,
      params: { taskId: 'far-{worker}', count: 40, recordOps: true },
    },
    { name: 'near', workload: 'checkpoint-writer', params: { taskId: 'near-{worker}', count: 40, recordOps: true } },
  ],
  faults: [
    { kind: 'network', target: 'far', mode: 'latency', latencyMs: 20, inject: 'start' },
    {
      kind: 'network',
      target: 'far',
      mode: 'reset',
      inject: { after: { kind: 'checkpoint.committed', worker: 'far', count: 10 } },
    },
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
      check: { check: 'sequence-gap-free', taskIdPrefix: '' },
    },
    {
      id: 'every-worker-finished',
      description: 'Every worker reconnected and finished its 40 commits',
      seed: '—',
      ours: '0 worker errors',
      check: { check: 'no-worker-errors', allowKilled: false },
    },
  ],
  timeoutMs: 60_000,
  requires: ['checkpoints', 'server'],
});
