import { performance } from 'node:perf_hooks';
import type { LoadedScenario } from '../load.js';
import { resultKey, type TestResult } from '../result.js';
import { runBenchmark } from './benchmark.js';
import { runScenario } from './scenario.js';
import { pgUrl } from '../postgres/pg-server.js';
import { runKey } from '../subject.js';
import { builtinSubject, type LoadedSubject } from '../load-subjects.js';

export interface RunDeclaredOptions {
  seed: number;
  /** A line of progress from inside a test ("fault sigkill: …"). */
  onProgress?: (id: string, message: string) => void;
  /** Called as each test starts and ends, for a live account in the terminal. */
  onStart?: (declared: LoadedScenario, index: number, subject: string | undefined) => void;
  onResult?: (result: TestResult, index: number) => void;
  /** Aborting (Ctrl-C) stops the test running now, reaps its processes and runs nothing more. */
  signal?: AbortSignal;
  /** The systems under test each scenario runs against, in order (default agentos-sqlite); benchmarks run once. */
  subjects?: readonly LoadedSubject[];
  /** The PostgreSQL server for PostgreSQL subjects (default: the PG* variables). */
  pgUrl?: string;
}

export interface DeclaredRun {
  results: TestResult[];
  /** Selected tests (as "<id>@<subject>" off the default subject) that did not run because the run was interrupted. */
  missing: string[];
  durationMs: number;
  interrupted: boolean;
}

/** Runs the selected declarations one at a time (each starts its own workers), in the order given, per subject. */
export async function runDeclared(
  selected: readonly LoadedScenario[],
  options: RunDeclaredOptions,
): Promise<DeclaredRun> {
  const started = performance.now();
  const subjects = options.subjects ?? [await builtinSubject()];
  const planned = selected.flatMap((declared): { declared: LoadedScenario; subject: LoadedSubject | undefined }[] =>
    declared.category === 'bench'
      ? [{ declared, subject: undefined }]
      : subjects.map((subject) => ({ declared, subject })),
  );
  const results: TestResult[] = [];
  for (const [index, { declared, subject }] of planned.entries()) {
    if (options.signal?.aborted) break;
    options.onStart?.(declared, index, subject?.definition.name);
    const common = {
      seed: options.seed,
      onProgress: (m: string) => options.onProgress?.(declared.id, m),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    const result =
      declared.category === 'bench'
        ? await runBenchmark(declared.benchmark, {
            ...common,
            ...(subjects.some((s) => s.definition.server === 'postgres')
              ? { postgres: { url: pgUrl(options.pgUrl) } }
              : {}),
          })
        : await runScenario(declared.scenario, {
            ...common,
            category: declared.category,
            ...(subject ? { subject } : {}),
            ...(options.pgUrl !== undefined ? { pgUrl: options.pgUrl } : {}),
          });
    if (options.signal?.aborted) break;
    results.push(result);
    options.onResult?.(result, index);
  }
  const ran = new Set(results.map(resultKey));
  return {
    results,
    missing: planned.map((p) => runKey(p.declared.id, p.subject?.definition.name)).filter((key) => !ran.has(key)),
    durationMs: performance.now() - started,
    interrupted: options.signal?.aborted ?? false,
  };
}

/** How many runs a selection makes: one per benchmark, one per subject for every scenario and stress test. */
export function plannedRuns(selected: readonly LoadedScenario[], subjects: number): number {
  return selected.reduce((n, d) => n + (d.category === 'bench' ? 1 : subjects), 0);
}
