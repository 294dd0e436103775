import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.js';
import { mergeRounds, tinybenchVersion, type BenchEntry, type BenchFile } from './bench-file.js';
import { readBenchFile } from './bench-read.js';
import type { LoadedScenario } from '../load.js';
import type { Environment } from './environment.js';

/** The benchmark options of a run, by benchmark id: rounds timed differently are not mixed. */
export type BenchOptions = ReadonlyMap<string, BenchEntry['options']>;

/** The state of the code a file holds rounds of. */
type CodeState = Pick<BenchFile, 'commit' | 'dirty'> & { diff?: string | null | undefined };

/**
 * The file that collects the rounds of one state of the code: `<commit>.json` for a clean working tree, and
 * `<commit>-dirty-<diff>.json` for uncommitted changes (one file per set of changes), so an edit's rounds never mix
 * into its commit's.
 */
export function benchFileName(state: CodeState): string {
  if (!state.dirty) return `${state.commit}.json`;
  return `${state.commit}-dirty${state.diff ? `-${state.diff}` : ''}.json`;
}

/** What must be the same for rounds to share a file: the engine, the database library and the machine. */
const SAME_MACHINE: readonly (keyof Environment)[] = ['node', 'v8', 'sqlite', 'cpu', 'cores'];

/**
 * Why rounds measured in `environment`, with `toolVersion` and `options`, may not be added to `existing` (read from
 * `shown`), or undefined when they may.
 */
export function mixProblem(
  existing: BenchFile,
  shown: string,
  incoming: { environment: Environment; toolVersion: string; options: BenchOptions },
): string | undefined {
  const rounds = Math.max(0, ...existing.benchmarks.map((b) => b.rounds.length));
  const holds = `${shown} holds ${rounds} round(s)`;
  const keep = `move that file away (it keeps its rounds) or delete it, and run again`;
  const state = {
    commit: incoming.environment.commit,
    dirty: incoming.environment.dirty,
    diff: incoming.environment.diff,
  };
  if (existing.dirty !== state.dirty || (state.dirty && existing.diff !== (state.diff ?? null)))
    return existing.dirty && existing.diff === null
      ? `${holds} of uncommitted changes (a bench@1 file, written before such runs got a file of their own); rename it to ${benchFileName({ ...existing, diff: null })} or delete it, and run again`
      : `${holds} of another state of the code (${existing.dirty ? `uncommitted changes ${existing.diff ?? ''}` : 'a clean tree'}); ${keep}`;
  for (const key of SAME_MACHINE) {
    if (existing.environment[key] !== incoming.environment[key])
      return `${holds} measured with ${key} ${String(existing.environment[key])}; this run has ${key} ${String(incoming.environment[key])}. Rounds of two environments are not mixed: ${keep}`;
  }
  if (existing.tool.version !== incoming.toolVersion)
    return `${holds} timed with tinybench ${existing.tool.version}; this run has ${incoming.toolVersion}. Rounds of two tools are not mixed: ${keep}`;
  for (const entry of existing.benchmarks) {
    const options = incoming.options.get(entry.benchmark);
    if (options && JSON.stringify(options) !== JSON.stringify(entry.options))
      return `${holds}; benchmark "${entry.benchmark}" was timed with ${JSON.stringify(entry.options)} there and is declared with ${JSON.stringify(options)} now. Rounds timed differently are not mixed: ${keep}`;
  }
  return undefined;
}

/**
 * Checked before benchmarks run: the file they would add rounds to, when it exists, is readable and holds rounds that
 * may be mixed with this run's. Returns the problem (naming the file and what to do), or undefined.
 */
export function benchTargetProblem(
  reportsDir: string,
  environment: Environment,
  options: BenchOptions,
  shown: (path: string) => string = (p) => p,
): string | undefined {
  const path = join(reportsDir, 'bench', benchFileName(environment));
  if (!existsSync(path)) return undefined;
  let existing: BenchFile;
  try {
    existing = readBenchFile(path);
  } catch (error) {
    return `${error instanceof Error ? error.message : String(error)}\nThe benchmarks add their rounds to ${shown(path)}: move it away or delete it, and run again`;
  }
  return mixProblem(existing, shown(path), { environment, toolVersion: tinybenchVersion(), options });
}

/**
 * Adds the rounds of `run` to the file of its state of the code in `folder` (reportsDir/bench, or a history folder;
 * created when absent), and returns the file's name and its content. Refuses (an Error naming the file) rounds that
 * benchTargetProblem would refuse.
 */
export function addRounds(folder: string, run: BenchFile): { name: string; file: BenchFile } {
  const name = benchFileName(run);
  const path = join(folder, name);
  let file = run;
  if (existsSync(path)) {
    const existing = readBenchFile(path);
    const options = new Map(run.benchmarks.map((b) => [b.benchmark, b.options]));
    const problem = mixProblem(existing, path, {
      environment: run.environment,
      toolVersion: run.tool.version,
      options,
    });
    if (problem) throw new BenchMixError(problem);
    file = mergeRounds([existing, run]);
  }
  writeFileAtomic(path, `${JSON.stringify(file)}\n`);
  return { name, file };
}

/** Rounds that may not share a file with the ones already in it. */
export class BenchMixError extends Error {
  override name = 'BenchMixError';
}

/** The timing options of the selected benchmarks, by id (what a round of each is timed with). */
export function declaredBenchOptions(selected: readonly LoadedScenario[]): BenchOptions {
  return new Map(
    selected.flatMap((d) =>
      d.category === 'bench'
        ? [[d.id, { timeMs: d.benchmark.timeMs, warmupMs: d.benchmark.warmupMs, iterations: d.benchmark.iterations }]]
        : [],
    ),
  );
}
