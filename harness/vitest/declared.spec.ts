// Runs every selected declared test as a vitest test. Selection and seed come from the environment set by
// scripts/chaos.ts; results go to CHAOS_RESULTS_FILE for the reporters.
import { writeFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { loadScenarios } from '../load.js';
import { keptRunDir, type ScenarioResult } from '../result.js';
import { runBenchmark } from '../bench/run.js';
import { runScenario } from '../runner.js';

const seed = Number(process.env.CHAOS_SEED ?? 1);
const only = process.env.CHAOS_ONLY ? process.env.CHAOS_ONLY.split(',') : null;
const category = process.env.CHAOS_CATEGORY ?? null;
const loaded = await loadScenarios();
const selected = loaded.filter((l) => (!only || only.includes(l.id)) && (!category || l.category === category));
const results: ScenarioResult[] = [];

for (const declared of selected) {
  const { id, category: kind } = declared;
  const title = declared.category === 'bench' ? declared.benchmark.title : declared.scenario.title;
  const timeoutMs = declared.category === 'bench' ? declared.benchmark.timeoutMs * declared.benchmark.variants.length : declared.scenario.timeoutMs;
  test(`${kind}/${id}: ${title}`, { timeout: timeoutMs + 30_000 }, async () => {
    const onProgress = (message: string): void => void process.stderr.write(`  [${id}] ${message}\n`);
    const result =
      declared.category === 'bench'
        ? await runBenchmark(declared.benchmark, { seed, onProgress })
        : await runScenario(declared.scenario, { seed, category: declared.category, onProgress });
    results.push(result);
    const kept = keptRunDir(result);
    expect(result.state === 'failed' ? result.reasons : [], `history: ${result.historyFile}${kept ? `; run folder kept: ${kept}` : ''}`).toEqual([]);
  });
}

afterAll(() => {
  if (process.env.CHAOS_RESULTS_FILE) {
    writeFileSync(process.env.CHAOS_RESULTS_FILE, JSON.stringify({ results, harnessPeakRssKb: process.resourceUsage().maxRSS }));
  }
});
