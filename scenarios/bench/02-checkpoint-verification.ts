import { defineBenchmark } from '../../harness/define.js';

export default defineBenchmark({
  id: 'checkpoint-verification',
  title: 'Checkpoint verification latency',
  purpose: 'How long verify() takes for a checkpoint with file-exists and file-hash evidence, recording the outcome.',
  seedTest: 'TestCheckpointCreationPerformance::test_checkpoint_verification_latency',
  procedure: [
    'A fresh process stores 100 checkpoints carrying file-exists and sha256 file-hash evidence of a small file.',
    'tinybench times verify() round-robin over them for 0.7 s: path confinement, the hash, and the write of the result.',
  ],
  variants: [
    { name: 'normal', subject: 'checkpoint-verify', durability: 'normal' },
    { name: 'full', subject: 'checkpoint-verify', durability: 'full' },
  ],
  criteria: [
    {
      id: 'seed-average',
      description: 'Average (NORMAL)',
      seed: '< 15 ms',
      ours: '< 15 ms',
      metric: { variant: 'normal', stat: 'mean', maxMs: 15 },
      kind: 'gate',
    },
    {
      id: 'seed-p95',
      description: 'P95 (NORMAL)',
      seed: '< 30 ms',
      ours: '< 30 ms',
      metric: { variant: 'normal', stat: 'p95', maxMs: 30 },
      kind: 'gate',
    },
    {
      id: 'p50-normal',
      description: 'P50, synchronous=NORMAL',
      seed: '—',
      ours: '≤ 0.05 ms',
      metric: { variant: 'normal', stat: 'p50', maxMs: 0.05 },
    },
    {
      id: 'p50-full',
      description: 'P50, synchronous=FULL (one fsync per verification)',
      seed: '—',
      ours: '≤ 0.5 ms',
      metric: { variant: 'full', stat: 'p50', maxMs: 0.5 },
    },
  ],
});
