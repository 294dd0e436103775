import { defineBenchmark } from '../../harness/define.js';

export default defineBenchmark({
  id: 'llm-cache-lookup',
  title: 'LLM cache lookup latency',
  purpose: 'How long a cache hit takes: canonical request, sha256 key, one indexed read, JSON parse.',
  seedTest: 'TestLLMCachePerformance::test_llm_cache_lookup_latency',
  procedure: ['A fresh process warms 1,000 entries, then tinybench times get() round-robin over them for 0.7 s.'],
  variants: [{ name: 'normal', subject: 'cache-hit', durability: 'normal' }],
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
