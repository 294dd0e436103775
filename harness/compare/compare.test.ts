import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { tinybenchVersion, toBmf, toGithubActionBenchmark } from '../report/bench-file.js';
import { PACKAGE_ROOT } from '../workers/build.js';
import { benchFile, benchRun, scaleRun } from './bench-fixture.js';
import { DEFAULT_COMPARE, compareBenchFiles } from './compare.js';

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
    expect(rows.find((r) => r.stat === 'p50')).toMatchObject({
      verdict: 'possible regression',
      method: '2000+2000 samples',
    });
    const faster = compareBenchFiles(benchFile('aaa', 0.045, 1), benchFile('bbb', 0.03, 2));
    expect(faster.find((r) => r.stat === 'p50')?.verdict).toBe('possible improvement');
  });

  it('does not gate P99 on too few samples', () => {
    const rows = compareBenchFiles(benchFile('aaa', 0.03, 1, 5, 300), benchFile('bbb', 0.06, 2, 5, 300));
    expect(rows.find((r) => r.stat === 'p99')?.verdict).toBe('not gated');
    expect(rows.find((r) => r.stat === 'p50')?.verdict).toBe('regression');
  });

  it('honours a custom threshold', () => {
    const rows = compareBenchFiles(benchFile('aaa', 0.03, 1, 5), benchFile('bbb', 0.036, 2, 5), {
      ...DEFAULT_COMPARE,
      thresholdP50: 0.5,
    });
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
  const cli = (...args: string[]) =>
    execa('tsx', ['scripts/bench-compare.ts', ...args], { cwd: PACKAGE_ROOT, preferLocal: true, reject: false });

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
    expect(result.stdout).toMatch(
      /checkpoint-creation\/normal \| P50 .* ⚠️ possible regression \(too few rounds to gate\)/,
    );
    expect(result.stdout).toContain('For a gate, compare with `--refs`');
    expect(result.stdout).toMatch(
      /\*\*\d possible regression\(s\), too few rounds to gate:\*\* checkpoint-creation\/normal P50/,
    );
    expect(result.stdout).toContain('**No gated regression.**');
  });

  it('refuses a head file with a null sample (it used to invert the verdict: a 1.6× slowdown read "possible improvement")', async () => {
    const dir = tempDir();
    const [base, head] = [join(dir, 'base.json'), join(dir, 'head.json')];
    const slower = benchFile('bbb', 0.048, 2);
    (slower.benchmarks[0]!.samples as unknown) = [[null]];
    writeFileSync(base, JSON.stringify(benchFile('aaa', 0.03, 1)));
    writeFileSync(head, JSON.stringify(slower));
    const result = await cli(base, head);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      `${head} is not a valid benchmark file:\n  benchmark "checkpoint-creation/normal", round 1, sample 1: null — must be a finite non-negative number`,
    );
  });

  it('refuses a file whose summaries are scaled by 1.5 and samples untouched (it used to read "ratio 1.500×, no change")', async () => {
    const dir = tempDir();
    const [base, head] = [join(dir, 'base.json'), join(dir, 'head.json')];
    const file = benchFile('aaa', 0.03, 1);
    const scaled = {
      ...scaleRun(file, 1.5, 'ccc'),
      benchmarks: scaleRun(file, 1.5).benchmarks.map((b, i) => ({ ...b, samples: file.benchmarks[i]!.samples })),
    };
    writeFileSync(base, JSON.stringify(file));
    writeFileSync(head, JSON.stringify(scaled));
    const result = await cli(base, head);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${head} contradicts itself:`);
    expect(result.stderr).toMatch(
      /benchmark "checkpoint-creation\/normal", round 1, p50 = [\d.]+: disagrees with the retained samples: the nearest-rank p50 \(sorted sample 1000 of 2000\) must be [\d.]+ \(all 2000 samples are retained\)/,
    );
  });

  it('--baseline: passes an unchanged run and fails its 1.5× slowdown against 5 earlier runs', async () => {
    const dir = tempDir();
    const earlier = join(dir, 'main');
    mkdirSync(earlier);
    const variants = [
      { id: 'checkpoint-creation/normal', center: 0.015 },
      { id: 'tool-replay/normal', center: 0.007 },
    ];
    const drift = [1, 1.04, 0.97, 1.06, 0.95, 1.02];
    drift
      .slice(1)
      .forEach((f, i) =>
        writeFileSync(
          join(earlier, `run${i}.json`),
          JSON.stringify(scaleRun(benchRun(`r${i}`, variants, i + 1), f, `r${i}`)),
        ),
      );
    const head = benchRun('head', variants, 99);
    writeFileSync(join(dir, 'head.json'), JSON.stringify(head));
    writeFileSync(join(dir, 'slow.json'), JSON.stringify(scaleRun(head, 1.5, 'slow')));
    const same = await cli('--baseline', earlier, join(dir, 'head.json'));
    expect(same.exitCode).toBe(0);
    expect(same.stdout).toContain('# Benchmark gate: `head` against 5 earlier run(s)');
    expect(same.stdout).toContain('This run makes 2 gated comparison(s)');
    expect(same.stdout).toMatch(/\| tool-replay\/normal \| P50 \| 5 \| .* \| ➖ within noise \|/);
    expect(same.stdout).toContain('**No regression.**');
    const slow = await cli('--baseline', `${earlier}/*.json`, join(dir, 'slow.json'));
    expect(slow.exitCode).toBe(1);
    expect(slow.stdout).toContain('**2 regression(s):** checkpoint-creation/normal P50, tool-replay/normal P50.');
    expect(slow.stdout).toContain('xychart-beta');
  });

  it('--baseline with fewer than 5 earlier runs says so and exits 0, even for a slowdown; the head file itself is not a baseline', async () => {
    const dir = tempDir();
    for (let i = 0; i < 3; i++)
      writeFileSync(join(dir, `run${i}.json`), JSON.stringify(benchFile(`r${i}`, 0.03, i + 1)));
    writeFileSync(join(dir, 'slow.json'), JSON.stringify(benchFile('slow', 0.06, 9)));
    const result = await cli('--baseline', dir, join(dir, 'slow.json'));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      '> **Not gated:** 3 earlier run(s) given, and at least 5 are needed to estimate run-to-run noise.',
    );
    expect(result.stdout).toContain('**Not gated: 3 of 5 earlier runs.**');
  });

  it('--baseline refuses a bad earlier run by name, an empty glob, and --refs alongside', async () => {
    const dir = tempDir();
    const head = join(dir, 'head.json');
    writeFileSync(head, JSON.stringify(benchFile('head', 0.03, 1)));
    const bad = benchFile('bad', 0.03, 2);
    bad.benchmarks[0]!.rounds[0]!.p50 = -1;
    mkdirSync(join(dir, 'runs'));
    writeFileSync(join(dir, 'runs', 'bad.json'), JSON.stringify(bad));
    const badRun = await cli('--baseline', join(dir, 'runs'), head);
    expect(badRun.exitCode).toBe(2);
    expect(badRun.stderr).toContain(
      `${join(dir, 'runs', 'bad.json')} is not a valid benchmark file:\n  benchmark "checkpoint-creation/normal", round 1, p50: -1`,
    );
    const none = await cli('--baseline', join(dir, 'nothing', '*.json'), head);
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('matches no benchmark file');
    const both = await cli('--baseline', dir, '--refs', head);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--baseline and --refs are two different modes');
  });

  it('--refs names a ref that is not a commit and exits 2', async () => {
    const result = await cli('--refs', 'no-such-ref-xyz', 'HEAD');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('"no-such-ref-xyz" is not a commit in this repository');
  });

  it('names a file that is not a benchmark file and exits 2', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"schema":"something-else"}');
    const result = await cli(bad, bad);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/bad\.json: schema is "something-else", expected "agentos-chaos\/bench@2" \(or the older "agentos-chaos\/bench@1"\)/);
  });
});
