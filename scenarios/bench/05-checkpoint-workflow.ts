import { defineBenchmark } from '../../harness/define.js';

export default defineBenchmark({
  id: 'checkpoint-workflow',
  title: 'Full checkpoint workflow latency',
  purpose: 'How long the whole cycle takes: begin → commit (with evidence) → verify → getLast.',
  seedTest: 'TestEndToEndPerformance::test_full_checkpoint_workflow_latency',
  procedure: [
    'In a fresh process per durability mode, tinybench times begin → commit with file-exists evidence → verify → getLast for 0.7 s.',
  ],
  variants: [
    { name: 'normal', subject: 'checkpoint-workflow', durability: 'normal' },
    { name: 'full', subject: 'checkpoint-workflow', durability: 'full' },
  ],
  criteria: [
    {
      id: 'seed-average',
      description: 'Average (NORMAL)',
      seed: '< 30 ms',
      ours: '< 30 ms',
      metric: { variant: 'normal', stat: 'mean', maxMs: 30 },
      kind: 'gate',
    },
    {
      id: 'seed-p95',
      description: 'P95 (NORMAL)',
      seed: '< 50 ms',
      ours: '< 50 ms',
      metric: { variant: 'normal', stat: 'p95', maxMs: 50 },
      kind: 'gate',
    },
    {
      id: 'p95-normal',
      description: 'P95, synchronous=NORMAL',
      seed: '—',
      ours: '≤ 0.2 ms',
      metric: { variant: 'normal', stat: 'p95', maxMs: 0.2 },
    },
    {
      id: 'p95-full',
      description: 'P95, synchronous=FULL (two fsyncs: commit and verify)',
      seed: '—',
      ours: '≤ 1 ms',
      metric: { variant: 'full', stat: 'p95', maxMs: 1 },
    },
  ],
});
