// Runs every selected declared test as a vitest test. Selection and seed come from the environment set by
// scripts/chaos.ts; results go to CHAOS_RESULTS_FILE for the reporters.
import { writeFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { loadScenarios } from '../load.js';
import type { ScenarioResult } from '../result.js';
import { runScenario } from '../runner.js';

const seed = Number(process.env.CHAOS_SEED ?? 1);
const only = process.env.CHAOS_ONLY ? process.env.CHAOS_ONLY.split(',') : null;
const category = process.env.CHAOS_CATEGORY ?? null;
const loaded = await loadScenarios();
const selected = loaded.filter((l) => (!only || only.includes(l.scenario.id)) && (!category || l.category === category));
const results: ScenarioResult[] = [];

for (const { scenario, category: kind } of selected) {
  test(`${kind}/${scenario.id}: ${scenario.title}`, { timeout: scenario.timeoutMs + 30_000 }, async () => {
    const result = await runScenario(scenario, {
      seed,
      onProgress: (message) => process.stderr.write(`  [${scenario.id}] ${message}\n`),
    });
    results.push(result);
    expect(result.state === 'failed' ? result.reasons : [], `history: ${result.historyFile}`).toEqual([]);
  });
}

afterAll(() => {
  if (process.env.CHAOS_RESULTS_FILE) writeFileSync(process.env.CHAOS_RESULTS_FILE, JSON.stringify(results));
});
