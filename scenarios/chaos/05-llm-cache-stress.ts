import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'llm-cache-stress',
  title: 'LLM cache stress',
  purpose: 'The LLM output cache answers every repeated request from the cache, much faster than generating it.',
  seedTest: 'TestScenario5_LLMCacheStress::test_llm_cache_stress',
  procedure: [
    'A worker sends 1,000 unique prompts through the cache to a deterministic fake model whose every generation does real work (200 rounds of sha256); the first pass must miss every time and store each answer.',
    'A second pass sends the same 1,000 prompts; every one must be a hit.',
    'Hit latency (P50) is compared with generation latency (P50) measured in the same run.',
  ],
  workers: [{ name: 'cache', workload: 'llm-cache', params: { prompts: 1000, passes: 2, costRounds: 200 } }],
  criteria: [
    {
      id: 'first-pass-misses',
      description: 'First pass misses',
      seed: '1000/1000 misses',
      ours: '1000/1000',
      check: { check: 'event-field', kind: 'cache.pass', where: { pass: 1 }, field: 'misses', equals: 1000 },
    },
    {
      id: 'second-pass-hits',
      description: 'Second pass hits',
      seed: '1000/1000 hits',
      ours: '1000/1000',
      check: { check: 'event-field', kind: 'cache.pass', where: { pass: 2 }, field: 'hits', equals: 1000 },
    },
    {
      id: 'hit-rate',
      description: 'Overall hit rate',
      seed: '50 %',
      ours: '50 %',
      check: { check: 'event-field', kind: 'cache.summary', field: 'hitRatePercent', equals: 50, unit: ' %' },
      alert: 'llm_cache_hit_rate',
    },
    {
      id: 'hits-faster',
      description: 'Hit latency below generation latency (P50)',
      seed: 'cache hits faster than fresh generation',
      ours: 'hit P50 < generation P50',
      check: {
        check: 'field-less-than',
        kind: 'cache.summary',
        field: 'hitLatencyP50Ms',
        lessThanField: 'generateLatencyP50Ms',
      },
    },
    {
      id: 'no-errors',
      description: 'No worker failed',
      seed: '—',
      ours: '0 errors',
      check: { check: 'no-worker-errors' },
    },
  ],
  requires: ['cache'],
  timeoutMs: 60_000,
});
