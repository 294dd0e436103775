import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { seededRandom } from '../random.js';
import { LatencyRecorder } from '../recorder.js';
import type { BenchEntry, BenchFile } from '../report/bench-file.js';
import { tinybenchVersion, toBmf, toGithubActionBenchmark } from '../report/bench-file.js';
import { ROOT } from '../workers/build.js';
import { DEFAULT_COMPARE, compareBenchFiles } from './compare.js';

/** A benchmark file with rounds of log-normal-ish latencies around `center` ms (seeded, so tests are repeatable). */
function benchFile(commit: string, center: number, seed: number, rounds = 1, n = 2000): BenchFile {
  const random = seededRandom(seed);
  const entry: BenchEntry = {
    id: 'checkpoint-creation/normal',
    benchmark: 'checkpoint-creation',
    variant: 'normal',
    subject: 'checkpoint-commit',
    durability: 'normal',
    peer: false,
    options: { timeMs: 1000, warmupMs: 200, iterations: 1000 },
    rounds: [],
    samples: [],
  };
  for (let r = 0; r < rounds; r++) {
    const recorder = new LatencyRecorder();
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = center * Math.exp((random() - 0.5) * 0.4) + (random() < 0.01 ? center * 5 : 0);
      samples.push(s);
      recorder.record(s);
    }
    const { mean, p50, p95, p99, max } = recorder.summary();
    entry.rounds.push({ n, mean, p50, p95, p99, max, opsPerSec: mean ? 1000 / mean : 0 });
    entry.samples.push(samples.sort((a, b) => a - b));
  }
  return {
    schema: 'agentos-chaos/bench@1',
    commit,
    dirty: false,
    generatedAt: '2026-01-01T00:00:00.000Z',
    environment: { commit, dirty: false, node: 'v20', v8: 'x', sqlite: '3', cpu: 'cpu', cores: 2, memoryGiB: 24, os: 'linux' },
    tool: { name: 'tinybench', version: '6' },
    unit: 'ms',
    percentileMethod: 'nearest-rank',
    benchmarks: [entry],
  };
}

describe('compareBenchFiles', () => {
  it('does not flag a commit compared with itself (same file)', () => {
    const file = benchFile('aaa', 0.03, 1);
    const rows = compareBenchFiles(file, file);
    expect(rows.map((r) => r.verdict)).not.toContain('regression');
    const p50 = rows.find((r) => r.stat === 'p50')!;
    expect(p50.ratio).toBe(1);
    expect(p50.ci[0]).toBeLessThanOrEqual(1);
    expect(p50.ci[1]).toBeGreaterThanOrEqual(1);
  });

  it('does not flag two measurements of the same code (different noise, 5 rounds each)', () => {
    const rows = compareBenchFiles(benchFile('aaa', 0.03, 1, 5), benchFile('aaa', 0.03, 2, 5));
    expect(rows.map((r) => r.verdict)).not.toContain('regression');
    expect(rows[0]?.method).toBe('5+5 rounds');
  });

  it('flags a clear slowdown, and calls a clear speed-up an improvement', () => {
    const slow = compareBenchFiles(benchFile('aaa', 0.03, 1, 5), benchFile('bbb', 0.045, 2, 5));
    expect(slow.find((r) => r.stat === 'p50')).toMatchObject({ verdict: 'regression' });
    expect(slow.find((r) => r.stat === 'p50')!.ci[0]).toBeGreaterThan(1.1);
    const fast = compareBenchFiles(benchFile('aaa', 0.045, 1, 5), benchFile('bbb', 0.03, 2, 5));
    expect(fast.find((r) => r.stat === 'p50')?.verdict).toBe('improvement');
  });

  it('calls a slowdown seen in one round per side only possible: run-to-run noise is not in its interval', () => {
    const rows = compareBenchFiles(benchFile('aaa', 0.03, 1), benchFile('bbb', 0.045, 2));
    expect(rows.find((r) => r.stat === 'p50')).toMatchObject({ verdict: 'possible regression', method: '2000+2000 samples' });
    const faster = compareBenchFiles(benchFile('aaa', 0.045, 1), benchFile('bbb', 0.03, 2));
    expect(faster.find((r) => r.stat === 'p50')?.verdict).toBe('possible improvement');
  });

  it('does not gate P99 on too few samples', () => {
    const rows = compareBenchFiles(benchFile('aaa', 0.03, 1, 5, 300), benchFile('bbb', 0.06, 2, 5, 300));
    expect(rows.find((r) => r.stat === 'p99')?.verdict).toBe('not gated');
    expect(rows.find((r) => r.stat === 'p50')?.verdict).toBe('regression');
  });

  it('honours a custom threshold', () => {
    const rows = compareBenchFiles(benchFile('aaa', 0.03, 1, 5), benchFile('bbb', 0.036, 2, 5), { ...DEFAULT_COMPARE, thresholdP50: 0.5 });
    expect(rows.find((r) => r.stat === 'p50')?.verdict).toBe('no change');
  });
});

describe('exports', () => {
  it('writes Bencher BMF (nanoseconds) and github-action-benchmark entries', () => {
    const file = benchFile('aaa', 0.03, 1);
    const bmf = toBmf(file)['checkpoint-creation/normal'];
    expect(bmf?.latency?.value).toBeCloseTo(file.benchmarks[0]!.rounds[0]!.p50! * 1e6, 3);
    expect(bmf?.throughput?.value).toBeGreaterThan(0);
    const gab = toGithubActionBenchmark(file);
    expect(gab.map((e) => e.name)).toEqual(['checkpoint-creation/normal P50', 'checkpoint-creation/normal P99']);
    expect(gab[0]?.unit).toBe('ms');
  });

  it('finds the installed tinybench version (its package.json is not exported)', () => {
    expect(tinybenchVersion()).toMatch(/^6\.\d+\.\d+$/);
  });
});

describe('pnpm bench:compare', () => {
  const tempDir = useTempDir();
  const cli = (...args: string[]) => execa('tsx', ['scripts/bench-compare.ts', ...args], { cwd: ROOT, preferLocal: true, reject: false });

  it('prints a Markdown table and exits 1 on a regression, 0 without', async () => {
    const dir = tempDir();
    const [a, b, c] = ['a.json', 'b.json', 'c.json'].map((f) => join(dir, f)) as [string, string, string];
    writeFileSync(a, JSON.stringify(benchFile('aaa', 0.03, 1, 5)));
    writeFileSync(b, JSON.stringify(benchFile('bbb', 0.03, 2, 5)));
    writeFileSync(c, JSON.stringify(benchFile('ccc', 0.05, 3, 5)));
    const same = await cli(a, b);
    expect(same.exitCode).toBe(0);
    expect(same.stdout).toMatch(/\| Benchmark \| Stat \| Base \(ms\) \| Head \(ms\) \| Ratio \| 95 % CI \|/);
    expect(same.stdout).toContain('**No regression.**');
    expect(same.stdout).not.toContain('For a gate'); // 5 rounds a side: the verdicts are gates
    const slower = await cli(a, c);
    expect(slower.exitCode).toBe(1);
    expect(slower.stdout).toMatch(/checkpoint-creation\/normal \| P50 .* ❌ regression/);
    expect(slower.stdout).toContain('xychart-beta');
  });

  it('reports a slowdown between one-round files as possible, with the reason, and exits 0', async () => {
    const dir = tempDir();
    const [a, c] = ['a.json', 'c.json'].map((f) => join(dir, f)) as [string, string];
    writeFileSync(a, JSON.stringify(benchFile('aaa', 0.03, 1)));
    writeFileSync(c, JSON.stringify(benchFile('ccc', 0.05, 3)));
    const result = await cli(a, c);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/checkpoint-creation\/normal \| P50 .* ⚠️ possible regression \(too few rounds to gate\)/);
    expect(result.stdout).toContain('For a gate, compare with `--refs`');
    expect(result.stdout).toMatch(/\*\*\d possible regression\(s\), too few rounds to gate:\*\* checkpoint-creation\/normal P50/);
    expect(result.stdout).toContain('**No gated regression.**');
  });

  it('names a file that is not a benchmark file and exits 2', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"schema":"something-else"}');
    const result = await cli(bad, bad);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/bad\.json: schema is "something-else", expected "agentos-chaos\/bench@1"/);
  });
});
