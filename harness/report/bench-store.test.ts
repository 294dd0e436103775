import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { seededRandom } from '../random.js';
import { LatencyRecorder } from '../recorder.js';
import type { BenchResult } from '../result.js';
import { readBenchFile } from './bench-read.js';
import { benchFileName, benchTargetProblem } from './bench-store.js';
import type { Environment } from './environment.js';
import { reporters } from './reporters.js';
import type { ResultsFile } from './results-file.js';

const CLEAN: Environment = {
  commit: 'abc1234',
  dirty: false,
  node: 'v20.19.8',
  v8: '11.3',
  sqlite: '3.49.1',
  cpu: 'Test CPU',
  cores: 2,
  memoryGiB: 8,
  os: 'linux 6',
};
const OPTIONS = { timeMs: 50, warmupMs: 10, iterations: 10 };

/** One benchmark's result as the runner gives it: a measurement per variant from seeded samples. */
function benchResult(seed: number, id = 'llm-cache-lookup'): BenchResult {
  const random = seededRandom(seed);
  const measurements = ['normal', 'full'].map((variant) => {
    const samples = Array.from({ length: 500 }, () => 0.01 * (1 + random())).sort((a, b) => a - b);
    const recorder = new LatencyRecorder();
    for (const s of samples) recorder.record(s);
    const summary = recorder.summary();
    return {
      variant,
      subject: 'cache-hit',
      durability: variant,
      peer: false,
      summary,
      opsPerSec: 1000 / summary.mean!,
      samples,
    };
  });
  return {
    id,
    title: 'A cheap benchmark',
    category: 'bench',
    seedTest: 'T::t',
    purpose: 'p',
    procedure: [],
    seed,
    durationMs: 100,
    criteria: [],
    measurements,
    options: OPTIONS,
    workers: [],
    survivors: [],
    state: 'passed',
  };
}

function resultsFile(environment: Environment, generatedAt: string, results: BenchResult[]): ResultsFile {
  return {
    schema: 'agentos-chaos/results@1',
    generatedAt,
    seed: 1,
    selection: { only: null, category: 'bench' },
    declared: { bench: 1 },
    environment,
    durationMs: 100,
    harnessPeakRssKb: null,
    results,
    missing: [],
  };
}

/** What one `pnpm bench` does once its benchmarks ran: the bench reporter (a fake runner supplies the results). */
function benchRun(
  reportsDir: string,
  run: number,
  environment = CLEAN,
  moreBenchRounds: BenchResult[][] = [],
): string[] {
  const at = `2026-01-01T00:0${run}:00.000Z`;
  return reporters.bench({
    file: resultsFile(environment, at, [benchResult(run * 10)]),
    reportsDir,
    declared: [],
    moreBenchRounds,
  });
}

describe('benchmark rounds accumulate per state of the code', () => {
  const tempDir = useTempDir();

  it('three runs on one commit give one file with three rounds, each marked with its run', () => {
    const reports = tempDir();
    for (const run of [1, 2, 3]) expect(benchRun(reports, run)).toEqual(['bench/abc1234.json']);
    const file = readBenchFile(join(reports, 'bench', 'abc1234.json'));
    expect(file.schema).toBe('agentos-chaos/bench@2');
    expect(file.benchmarks.map((b) => [b.id, b.rounds.length])).toEqual([
      ['llm-cache-lookup/normal', 3],
      ['llm-cache-lookup/full', 3],
    ]);
    expect(file.benchmarks[0]!.rounds.map((r) => r.at)).toEqual([
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:02:00.000Z',
      '2026-01-01T00:03:00.000Z',
    ]);
    expect(file.generatedAt).toBe('2026-01-01T00:03:00.000Z');
    // Each round is its run's own, not a copy of another's.
    expect(new Set(file.benchmarks[0]!.rounds.map((r) => r.p50)).size).toBe(3);
  });

  it('one run of --rounds 3 adds three rounds of the same run', () => {
    const reports = tempDir();
    benchRun(reports, 1, CLEAN, [[benchResult(11)], [benchResult(12)]]);
    const rounds = readBenchFile(join(reports, 'bench', 'abc1234.json')).benchmarks[0]!.rounds;
    expect(rounds).toHaveLength(3);
    expect(new Set(rounds.map((r) => r.at))).toEqual(new Set(['2026-01-01T00:01:00.000Z']));
  });

  it('rounds of uncommitted changes go to a file of those changes, never into the commit’s', () => {
    const reports = tempDir();
    benchRun(reports, 1);
    const edit = { ...CLEAN, dirty: true, diff: '1a2b3c4d' };
    expect(benchRun(reports, 2, edit)).toEqual(['bench/abc1234-dirty-1a2b3c4d.json']);
    expect(benchRun(reports, 3, edit)).toEqual(['bench/abc1234-dirty-1a2b3c4d.json']);
    expect(benchRun(reports, 4, { ...edit, diff: '99999999' })).toEqual(['bench/abc1234-dirty-99999999.json']);
    expect(readBenchFile(join(reports, 'bench', 'abc1234.json')).benchmarks[0]!.rounds).toHaveLength(1);
    const dirty = readBenchFile(join(reports, 'bench', 'abc1234-dirty-1a2b3c4d.json'));
    expect(dirty).toMatchObject({ dirty: true, diff: '1a2b3c4d' });
    expect(dirty.benchmarks[0]!.rounds).toHaveLength(2);
  });

  it('keeps the round of a bench@1 file of the same commit and adds to it', () => {
    const reports = tempDir();
    benchRun(reports, 1);
    const path = join(reports, 'bench', 'abc1234.json');
    const v2 = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & {
      benchmarks: { rounds: Record<string, unknown>[] }[];
    };
    delete v2.diff;
    for (const b of v2.benchmarks) for (const r of b.rounds) delete r.at;
    writeFileSync(path, JSON.stringify({ ...v2, schema: 'agentos-chaos/bench@1' }));
    benchRun(reports, 2);
    const file = readBenchFile(path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ schema: 'agentos-chaos/bench@2' });
    expect(file.benchmarks[0]!.rounds.map((r) => r.at)).toEqual([
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:02:00.000Z',
    ]);
  });
});

describe('rounds that must not be mixed are refused before anything runs', () => {
  const tempDir = useTempDir();
  const options = new Map([['llm-cache-lookup', OPTIONS]]);

  it('another Node version: names the file, both values and what to do; the file keeps its rounds', () => {
    const reports = tempDir();
    benchRun(reports, 1);
    const path = join(reports, 'bench', 'abc1234.json');
    const before = readFileSync(path, 'utf8');
    const node22 = { ...CLEAN, node: 'v22.1.0' };
    expect(benchTargetProblem(reports, node22, options)).toBe(
      `${path} holds 1 round(s) measured with node v20.19.8; this run has node v22.1.0. Rounds of two environments are not mixed: move that file away (it keeps its rounds) or delete it, and run again`,
    );
    expect(() => benchRun(reports, 2, node22)).toThrow(/measured with node v20\.19\.8; this run has node v22\.1\.0/);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('other timing options, a file that cannot be read, and a bench@1 dirty run under the clean name', () => {
    const reports = tempDir();
    benchRun(reports, 1);
    const path = join(reports, 'bench', 'abc1234.json');
    expect(benchTargetProblem(reports, CLEAN, new Map([['llm-cache-lookup', { ...OPTIONS, timeMs: 700 }]]))).toContain(
      'benchmark "llm-cache-lookup" was timed with {"timeMs":50,"warmupMs":10,"iterations":10} there and is declared with {"timeMs":700,"warmupMs":10,"iterations":10} now',
    );
    expect(benchTargetProblem(reports, CLEAN, options)).toBeUndefined();
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...file, schema: 'agentos-chaos/bench@1', dirty: true }));
    expect(benchTargetProblem(reports, CLEAN, options)).toContain(
      'holds 1 round(s) of uncommitted changes (a bench@1 file, written before such runs got a file of their own); rename it to abc1234-dirty.json or delete it',
    );
    writeFileSync(path, '{"schema":');
    expect(benchTargetProblem(reports, CLEAN, options)).toMatch(
      /abc1234\.json: not valid JSON .*\nThe benchmarks add their rounds to .*abc1234\.json: move it away or delete it, and run again/,
    );
  });

  it('no file yet is no problem, and the check writes nothing', () => {
    const reports = tempDir();
    expect(benchTargetProblem(reports, CLEAN, options)).toBeUndefined();
    expect(existsSync(join(reports, 'bench'))).toBe(false);
    expect(benchFileName({ commit: 'abc1234', dirty: true, diff: null })).toBe('abc1234-dirty.json');
  });
});
