import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'tool-replay-stress',
  title: 'Tool replay stress',
  purpose: 'Recorded tool calls are replayed byte for byte, and no command runs a second time.',
  seedTest: 'TestScenario6_ToolReplayStress::test_tool_replay_stress',
  procedure: [
    'A worker runs 500 unique shell commands through the tool ledger (8 at a time); each appends a line to its own file under effects/ and prints to stdout and stderr.',
    'A second pass issues the same 500 calls; each must be replayed from the ledger with identical output.',
    'The harness then counts the lines in every effects file: each command must have run exactly once.',
  ],
  workers: [{ name: 'tools', workload: 'tool-replay', params: { commands: 500, passes: 2 } }],
  criteria: [
    {
      id: 'executed',
      description: 'First pass executions',
      seed: '500/500 executed',
      ours: '500/500',
      check: { check: 'event-field', kind: 'tool.pass', where: { pass: 1 }, field: 'executed', equals: 500 },
    },
    {
      id: 'replayed',
      description: 'Second pass replays',
      seed: '500/500 replayed',
      ours: '500/500',
      check: { check: 'event-field', kind: 'tool.pass', where: { pass: 2 }, field: 'replayed', equals: 500 },
    },
    {
      id: 'identical',
      description: 'Replayed output differing from the original (stdout, stderr, exit code)',
      seed: 'replayed results match',
      ours: '0 byte differences',
      check: { check: 'event-field', kind: 'tool.pass', where: { pass: 2 }, field: 'mismatches', equals: 0 },
    },
    {
      id: 'exactly-once',
      description: 'Side effects counted in files after both passes',
      seed: '—',
      ours: 'each command exactly once',
      check: { check: 'side-effects-exactly-once', dir: 'effects', files: 500 },
    },
    {
      id: 'no-errors',
      description: 'No worker failed',
      seed: '—',
      ours: '0 errors',
      check: { check: 'no-worker-errors' },
    },
  ],
  timeoutMs: 90_000,
  requires: ['tools'],
});
