import { performance } from 'node:perf_hooks';
import type { LoadedScenario } from '../load.js';
import type { TestResult } from '../result.js';
import { runBenchmark } from './benchmark.js';
import { runScenario } from './scenario.js';

export interface RunDeclaredOptions {
  seed: number;
  /** A line of progress from inside a test ("fault sigkill: …"). */
  onProgress?: (id: string, message: string) => void;
  /** Called as each test starts and ends, for a live account in the terminal. */
  onStart?: (declared: LoadedScenario, index: number) => void;
  onResult?: (result: TestResult, index: number) => void;
  /** Aborting (Ctrl-C) stops the test running now, reaps its processes and runs nothing more. */
  signal?: AbortSignal;
}

export interface DeclaredRun {
  results: TestResult[];
  /** Selected tests that did not run because the run was interrupted. */
  missing: string[];
  durationMs: number;
  interrupted: boolean;
}

/** Runs the selected declarations one at a time (each starts its own workers), in the order given. */
export async function runDeclared(
  selected: readonly LoadedScenario[],
  options: RunDeclaredOptions,
): Promise<DeclaredRun> {
  const started = performance.now();
  const results: TestResult[] = [];
  for (const [index, declared] of selected.entries()) {
    if (options.signal?.aborted) break;
    options.onStart?.(declared, index);
    const common = {
      seed: options.seed,
      onProgress: (m: string) => options.onProgress?.(declared.id, m),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const result =
      declared.category === 'bench'
        ? await runBenchmark(declared.benchmark, common)
        : await runScenario(declared.scenario, { ...common, category: declared.category });
    if (options.signal?.aborted) break;
    results.push(result);
    options.onResult?.(result, index);
  }
  const ran = new Set(results.map((r) => r.id));
  return {
    results,
    missing: selected.map((d) => d.id).filter((id) => !ran.has(id)),
    durationMs: performance.now() - started,
    interrupted: options.signal?.aborted ?? false,
  };
}
