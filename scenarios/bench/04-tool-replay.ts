import { defineBenchmark } from '../../harness/define.js';

export default defineBenchmark({
  id: 'tool-replay',
  title: 'Tool replay latency',
  purpose: 'How long replaying a recorded tool call takes (the command does not run).',
  seedTest: 'TestToolReplayPerformance::test_tool_replay_latency',
  procedure: [
    'A fresh process executes and records 100 commands, then tinybench times run() of them round-robin for 0.7 s; every call must be a replay.',
  ],
  variants: [{ name: 'normal', subject: 'tool-replay', durability: 'normal' }],
  criteria: [
    {
      id: 'seed-average',
      description: 'Average',
      seed: '< 5 ms',
      ours: '< 5 ms',
      metric: { variant: 'normal', stat: 'mean', maxMs: 5 },
      kind: 'gate',
    },
    {
      id: 'seed-p95',
      description: 'P95',
      seed: '< 10 ms',
      ours: '< 10 ms',
      metric: { variant: 'normal', stat: 'p95', maxMs: 10 },
      kind: 'gate',
    },
    {
      id: 'p50',
      description: 'P50',
      seed: '—',
      ours: '≤ 0.02 ms',
      metric: { variant: 'normal', stat: 'p50', maxMs: 0.02 },
    },
    {
      id: 'p99',
      description: 'P99',
      seed: '—',
      ours: '≤ 0.1 ms',
      metric: { variant: 'normal', stat: 'p99', maxMs: 0.1 },
    },
  ],
});
