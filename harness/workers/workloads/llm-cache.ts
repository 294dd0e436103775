import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { LLMRequest } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

/**
 * A deterministic fake model: the answer is a pure function of the request, and each generation does real work
 * (costRounds of sha256) so a hit can be compared with a generation honestly.
 */
export function fakeGenerate(request: LLMRequest, costRounds: number): { text: string } {
  let digest = JSON.stringify(request);
  for (let i = 0; i < costRounds; i++) digest = createHash('sha256').update(digest).digest('hex');
  return { text: `answer:${digest.slice(0, 16)}` };
}

function p50(samples: number[]): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.ceil(0.5 * sorted.length) - 1] ?? null;
}

/** Runs `passes` passes over `prompts` unique prompts through the cache and reports hits, misses and latencies. */
export const llmCache = defineWorkload<'llm-cache'>({
  async run({ channel, openSubject }, params) {
    const { cache } = await openSubject();
    if (!cache) throw new Error('llm-cache needs a subject with an LLM output cache');
    const allHits: number[] = [];
    const allGenerations: number[] = [];
    for (let pass = 1; pass <= params.passes; pass++) {
      const before = cache.stats();
      const hitLatency: number[] = [];
      const generateLatency: number[] = [];
      for (let i = 0; i < params.prompts; i++) {
        const request: LLMRequest = { model: params.model, prompt: `prompt #${i}`, parameters: { temperature: 0 } };
        const t0 = performance.now();
        const hit = await cache.get(request);
        if (hit !== undefined) {
          hitLatency.push(performance.now() - t0);
          continue;
        }
        const g0 = performance.now();
        await cache.put(request, fakeGenerate(request, params.costRounds));
        generateLatency.push(performance.now() - g0);
      }
      allHits.push(...hitLatency);
      allGenerations.push(...generateLatency);
      const after = cache.stats();
      channel.emit({
        kind: 'cache.pass',
        pass,
        hits: after.hits - before.hits,
        misses: after.misses - before.misses,
        hitLatencyP50Ms: p50(hitLatency),
        generateLatencyP50Ms: p50(generateLatency),
      });
    }
    const s = cache.stats();
    channel.emit({
      kind: 'cache.summary',
      hits: s.hits,
      misses: s.misses,
      hitRatePercent: s.hitRate * 100,
      hitLatencyP50Ms: p50(allHits),
      generateLatencyP50Ms: p50(allGenerations),
    });
    return { hits: s.hits, misses: s.misses, hitRatePercent: s.hitRate * 100 };
  },
});
