import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'kill9-recovery',
  title: 'Kill -9 recovery',
  purpose: 'A process killed with SIGKILL in the middle of writing checkpoints loses none it acknowledged.',
  seedTest: 'TestScenario1_Kill9Recovery::test_kill_9_recovery',
  procedure: [
    'A worker commits checkpoints to one task as fast as it can, acknowledging each on stdout.',
    'After a seeded random number (20–80) of acknowledged commits, the harness sends SIGKILL.',
    'The harness reopens the database and checks every acknowledged checkpoint, getLast() and integrity.',
  ],
  workers: [{ name: 'writer', workload: 'checkpoint-writer', params: { taskId: 'kill9-task', count: 1_000_000 } }],
  faults: [
    {
      kind: 'sigkill',
      target: 'writer',
      inject: { after: { kind: 'checkpoint.committed', worker: 'writer', count: { min: 20, max: 80 } } },
    },
  ],
  criteria: [
    {
      id: 'acknowledged-present',
      description: 'Every checkpoint acknowledged before the kill is in the database',
      seed: 'checkpoints survive process termination',
      ours: '100 % of acknowledged checkpoints',
      check: { check: 'acknowledged-checkpoints-present' },
    },
    {
      id: 'get-last',
      description: 'getLast() returns the newest checkpoint, at least the last acknowledged one',
      seed: 'recovery state is accessible',
      ours: 'getLast seq ≥ last acknowledged seq',
      check: { check: 'last-checkpoint-is-latest-acknowledged', taskId: 'kill9-task' },
    },
    {
      id: 'gap-free',
      description: 'Sequence numbers are 1..n without gaps',
      seed: '—',
      ours: 'gap-free',
      check: { check: 'sequence-gap-free', taskId: 'kill9-task' },
    },
    {
      id: 'integrity',
      description: 'PRAGMA integrity_check after the kill',
      seed: 'no database corruption',
      ours: 'ok',
      check: { check: 'integrity-ok' },
    },
  ],
  timeoutMs: 30_000,
  // Its workers only commit checkpoints: it runs on every subject.
  requires: ['checkpoints'],
});
