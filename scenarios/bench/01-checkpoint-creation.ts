import { defineBenchmark } from '../../harness/define.js';

export default defineBenchmark({
  id: 'checkpoint-creation',
  title: 'Checkpoint creation latency',
  purpose: 'How long begin() + commit() of one small checkpoint takes, in both durability modes and against a peer.',
  seedTest: 'TestCheckpointCreationPerformance::test_checkpoint_creation_latency',
  procedure: [
    'In a fresh process per variant, tinybench times begin() + commit() of a small state to one task for 0.7 s after a 150 ms warm-up.',
    'The same state is written through LangGraph’s SqliteSaver.put under the same pragmas, in the same run, as the peer.',
    'The same checkpoint is written through AgentosSaver.put (the layer as a LangGraph checkpointer: a fenced write under the thread’s lease, the changed channel stored once).',
  ],
  variants: [
    { name: 'normal', subject: 'checkpoint-commit', durability: 'normal' },
    { name: 'full', subject: 'checkpoint-commit', durability: 'full' },
    { name: 'sqlitesaver-normal', subject: 'langgraph-sqlitesaver-put', durability: 'normal', peer: true },
    { name: 'agentos-saver-normal', subject: 'agentos-saver-put', durability: 'normal' },
  ],
  criteria: [
    {
      id: 'seed-average',
      description: 'Average (NORMAL)',
      seed: '< 10 ms',
      ours: '< 10 ms',
      metric: { variant: 'normal', stat: 'mean', maxMs: 10 },
      kind: 'gate',
    },
    {
      id: 'seed-p95',
      description: 'P95 (NORMAL)',
      seed: '< 20 ms',
      ours: '< 20 ms',
      metric: { variant: 'normal', stat: 'p95', maxMs: 20 },
      kind: 'gate',
      alert: ['checkpoint_creation_latency_p95', 'checkpoint_creation_latency_p99'],
    },
    {
      id: 'p50-normal',
      description: 'P50, synchronous=NORMAL',
      seed: '—',
      ours: '≤ 0.06 ms',
      metric: { variant: 'normal', stat: 'p50', maxMs: 0.06 },
    },
    {
      id: 'p50-full',
      description: 'P50, synchronous=FULL',
      seed: '—',
      ours: '≤ 0.5 ms',
      metric: { variant: 'full', stat: 'p50', maxMs: 0.5 },
    },
    {
      id: 'vs-peer',
      description: 'P50 relative to SqliteSaver.put (NORMAL)',
      seed: '—',
      ours: '≤ 0.9×',
      metric: { variant: 'normal', stat: 'p50', ratioTo: 'sqlitesaver-normal', max: 0.9 },
    },
    {
      id: 'saver-vs-peer',
      description: 'AgentosSaver.put P50 relative to SqliteSaver.put (NORMAL)',
      seed: '—',
      ours: '≤ 1.0×',
      metric: { variant: 'agentos-saver-normal', stat: 'p50', ratioTo: 'sqlitesaver-normal', max: 1.0 },
    },
  ],
});
