import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { seededRandom } from '../random.js';
import { mergeRounds, tinybenchVersion, toBmf, toGithubActionBenchmark, type BenchFile } from '../report/bench-file.js';
import { benchFile, benchRun, normal, roundsFile, scaleRun } from './bench-fixture.js';
import { compareProgram } from './cli.js';
import { DEFAULT_COMPARE, compareBenchFiles, type ComparisonRow } from './compare.js';

const VARIANTS = [
  { id: 'checkpoint-creation/normal', center: 0.015 },
  { id: 'checkpoint-creation/full', center: 0.1 },
  { id: 'tool-replay/normal', center: 0.007 },
];

describe('compareBenchFiles', () => {
  const p50 = (rows: ComparisonRow[], id = 'checkpoint-creation/normal'): ComparisonRow =>
    rows.find((r) => r.id === id && r.stat === 'p50')!;

  it('does not flag a file compared with itself: ratio 1, bounds of no width', () => {
    const file = roundsFile('aaa', VARIANTS, 1, 3);
    const result = compareBenchFiles(file, file);
    expect(result.rows.map((r) => r.verdict)).not.toContain('regression');
    expect(p50(result.rows)).toMatchObject({ ratio: 1, rounds: [3, 3], verdict: 'no change' });
  });

  it('does not flag two measurements of the same code (3 rounds each, 5 % from round to round)', () => {
    const result = compareBenchFiles(roundsFile('aaa', VARIANTS, 1, 3), roundsFile('aaa', VARIANTS, 2, 3));
    expect(result.rows.filter((r) => r.stat === 'p50').map((r) => r.verdict)).toEqual([
      'no change',
      'no change',
      'no change',
    ]);
    expect(result.comparisons).toBe(3);
    expect(result.alpha).toBeCloseTo(0.01 / 3, 12);
  });

  it('flags a 1.5× slowdown of one variant with 3 rounds each, and only that variant', () => {
    const slow = { 'checkpoint-creation/normal': 1.5 };
    const result = compareBenchFiles(
      roundsFile('aaa', VARIANTS, 1, 3),
      roundsFile('bbb', VARIANTS, 2, 3, { slowdown: slow }),
    );
    expect(result.rows.filter((r) => r.stat === 'p50').map((r) => [r.id, r.verdict])).toEqual([
      ['checkpoint-creation/normal', 'regression'],
      ['checkpoint-creation/full', 'no change'],
      ['tool-replay/normal', 'no change'],
    ]);
    const row = p50(result.rows);
    expect(row.ratio).toBeGreaterThan(1.3);
    expect(row.bounds![0]).toBeGreaterThan(1);
  });

  it('calls a clear speed-up an improvement', () => {
    const result = compareBenchFiles(
      roundsFile('aaa', VARIANTS, 1, 3),
      roundsFile('bbb', VARIANTS, 2, 3, { slowdown: { 'tool-replay/normal': 0.6 } }),
    );
    expect(p50(result.rows, 'tool-replay/normal').verdict).toBe('improvement');
  });

  it('does not gate with fewer than 3 rounds a side, even a 2× slowdown, and says how many more each side needs', () => {
    const result = compareBenchFiles(
      roundsFile('aaa', VARIANTS, 1, 1),
      roundsFile('bbb', VARIANTS, 2, 2, { slowdown: { 'checkpoint-creation/normal': 2 } }),
    );
    expect(new Set(result.rows.map((r) => r.verdict))).toEqual(new Set(['not gated']));
    expect(p50(result.rows)).toMatchObject({ reason: '1 + 2 round(s), 3 a side needed', bounds: null });
    expect(result).toMatchObject({ comparisons: 0, needed: { base: 2, head: 1 } });
  });

  it('shows P99 without gating it, unless asked to (and then only with enough samples per round)', () => {
    const [base, head] = [roundsFile('aaa', VARIANTS, 1, 3), roundsFile('bbb', VARIANTS, 2, 3)];
    const p99 = compareBenchFiles(base, head).rows.find((r) => r.stat === 'p99')!;
    expect(p99).toMatchObject({ verdict: 'not gated', reason: "a round's P99 is too noisy; --gate-p99" });
    const gated = compareBenchFiles(base, head, { ...DEFAULT_COMPARE, gateP99: true, minP99Samples: 300 });
    expect(gated.comparisons).toBe(6);
    const few = compareBenchFiles(base, head, { ...DEFAULT_COMPARE, gateP99: true });
    expect(few.rows.find((r) => r.stat === 'p99')?.reason).toBe('a round has fewer than 1000 samples');
    expect(few.comparisons).toBe(3);
  });

  it("shows a peer's variant without gating it: its code is not this repository's", () => {
    const peer = (f: BenchFile): BenchFile => ({
      ...f,
      benchmarks: f.benchmarks.map((b) => (b.id === 'tool-replay/normal' ? { ...b, peer: true } : b)),
    });
    const result = compareBenchFiles(
      peer(roundsFile('aaa', VARIANTS, 1, 3)),
      peer(roundsFile('bbb', VARIANTS, 2, 3, { slowdown: { 'tool-replay/normal': 2 } })),
    );
    expect(p50(result.rows, 'tool-replay/normal')).toMatchObject({
      verdict: 'not gated',
      reason: 'a peer: shown, not gated',
    });
    expect(result.comparisons).toBe(2);
  });

  it('needs a change beyond the practical threshold as well as beyond the noise', () => {
    const base = roundsFile('aaa', VARIANTS, 1, 3, { spread: 0.001 });
    const head = (f: number) =>
      roundsFile('bbb', VARIANTS, 2, 3, { spread: 0.001, slowdown: { 'checkpoint-creation/normal': f } });
    expect(p50(compareBenchFiles(base, head(1.05)).rows).verdict).toBe('no change');
    expect(p50(compareBenchFiles(base, head(1.15)).rows).verdict).toBe('regression');
    expect(p50(compareBenchFiles(base, head(1.15), { ...DEFAULT_COMPARE, thresholdP50: 0.5 }).rows).verdict).toBe(
      'no change',
    );
  });

  it('fails unchanged code at about the designed rate (1 % per comparison of two files, 3 rounds each)', () => {
    // Ten variants, each round drifting independently by 10 % (the worst case for Bonferroni), no practical threshold.
    const random = seededRandom(11);
    const ten = Array.from({ length: 10 }, (_, i) => ({ id: `bench-${i}/normal`, center: 0.01 }));
    const template = benchRun('t', ten, 1, 20);
    const draw = (): BenchFile =>
      mergeRounds(
        [0, 1, 2].map(() => ({
          ...template,
          benchmarks: template.benchmarks.map(
            (b) => scaleRun({ ...template, benchmarks: [b] }, Math.exp(0.1 * normal(random))).benchmarks[0]!,
          ),
        })),
      );
    let failures = 0;
    const trials = 3000;
    for (let t = 0; t < trials; t++) {
      const result = compareBenchFiles(draw(), draw(), { ...DEFAULT_COMPARE, thresholdP50: 0 });
      if (result.rows.some((r) => r.verdict === 'regression')) failures++;
    }
    // Expected 30 of 3000 (1 %); a binomial 99.99 % range is about 12–53.
    expect(failures).toBeGreaterThanOrEqual(12);
    expect(failures).toBeLessThanOrEqual(53);
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
  // The program in-process: its exit status and what it wrote (scripts/bench-compare.ts only hands these to the process).
  const cli = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const io = { out: (text: string) => void (stdout += text), err: (text: string) => void (stderr += text) };
    const exitCode = await compareProgram(args, 'pnpm bench:compare', io);
    return { exitCode, stdout, stderr };
  };

  it('two files of 3 rounds each: exits 1 on a 1.5× slowdown of one variant, 0 when unchanged; a plain table on the terminal, Markdown with the chart in --output', async () => {
    const dir = tempDir();
    const [a, b, c, md] = ['a.json', 'b.json', 'c.json', 'c.md'].map((f) => join(dir, f)) as [
      string,
      string,
      string,
      string,
    ];
    writeFileSync(a, JSON.stringify(roundsFile('aaa', VARIANTS, 1, 3)));
    writeFileSync(b, JSON.stringify(roundsFile('bbb', VARIANTS, 2, 3)));
    writeFileSync(c, JSON.stringify(roundsFile('ccc', VARIANTS, 3, 3, { slowdown: { 'tool-replay/normal': 1.5 } })));
    const same = await cli(a, b);
    expect(same.exitCode).toBe(0);
    expect(same.stdout).toMatch(/^Benchmark\s+Stat\s+Rounds\s+Base ms\s+Head ms\s+Ratio\s+Bounds\s+Verdict$/m);
    expect(same.stdout).toMatch(/^tool-replay\/normal\s+P50\s+3\+3\s.*within noise/m);
    expect(same.stdout.trimEnd().split('\n').at(-1)).toBe('No regression.');
    const slower = await cli(a, c, '--output', md);
    expect(slower.exitCode).toBe(1);
    expect(slower.stdout).toMatch(/^tool-replay\/normal\s+P50\s+3\+3\s.*REGRESSION$/m);
    expect(slower.stdout).toMatch(/^checkpoint-creation\/normal\s+P50\s.*within noise/m);
    expect(slower.stdout).toContain('1 regression(s): tool-replay/normal P50.');
    // The terminal gets no Markdown and no chart source.
    expect(slower.stdout).not.toMatch(/xychart|```|\| Benchmark|<svg/);
    const markdown = readFileSync(md, 'utf8');
    expect(markdown).toMatch(/\| tool-replay\/normal \| P50 \| 3\+3 \| .* \| ❌ regression \|/);
    // The chart is an SVG beside the Markdown, linked from it.
    expect(markdown).toContain(`](${basename(md).replace(/\.md$/, '.svg')})`);
    expect(readFileSync(md.replace(/\.md$/, '.svg'), 'utf8')).toContain('>tool-replay/normal</text>');
    expect(markdown).toContain('**1 regression(s):** tool-replay/normal P50.');
  });

  it('files of too few rounds: no verdict, exit 0, how many more rounds each side needs and the command that adds them', async () => {
    const dir = tempDir();
    const [a, c] = [join(dir, 'old.json'), join(dir, 'new.json')];
    writeFileSync(a, JSON.stringify(roundsFile('aaa1111', VARIANTS, 1, 1)));
    writeFileSync(c, JSON.stringify(roundsFile('ccc3333', VARIANTS, 3, 2, { slowdown: { 'tool-replay/normal': 2 } })));
    const result = await cli(a, c);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(
      /^tool-replay\/normal\s+P50\s+1\+2\s.*not gated \(1 \+ 2 round\(s\), 3 a side needed\)$/m,
    );
    expect(result.stdout).toContain(
      'Not gated: a comparison decides with at least 3 rounds a side; base needs 2 more, head needs 1 more.',
    );
    expect(result.stdout).toContain(
      `- base (${a}): git switch --detach aaa1111 && pnpm bench --rounds 2 (they go to reports/bench/aaa1111.json: compare that file)`,
    );
    expect(result.stdout).toContain(`- head (${c}): git switch --detach ccc3333 && pnpm bench --rounds 1`);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('Not gated: fewer than 3 rounds a side.');
  });

  it('--only compares only the named benchmarks, and names the ones there are when an id is unknown', async () => {
    const dir = tempDir();
    const [a, c] = [join(dir, 'a.json'), join(dir, 'c.json')];
    writeFileSync(a, JSON.stringify(roundsFile('aaa', VARIANTS, 1, 3)));
    writeFileSync(c, JSON.stringify(roundsFile('ccc', VARIANTS, 3, 3, { slowdown: { 'tool-replay/normal': 1.5 } })));
    const creation = await cli(a, c, '--only', 'checkpoint-creation');
    expect(creation.exitCode).toBe(0);
    expect(creation.stdout).not.toContain('tool-replay');
    expect(creation.stdout).toMatch(/^checkpoint-creation\/full\s+P50/m);
    const unknown = await cli(a, c, '--only', 'checkpoint-creatoin');
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain(
      `--only: no benchmark "checkpoint-creatoin" in ${a}, ${c}; they have checkpoint-creation, tool-replay`,
    );
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
    const same = await cli('--baseline', earlier, join(dir, 'head.json'), '--output', join(dir, 'same.md'));
    expect(same.exitCode).toBe(0);
    expect(same.stdout).toContain('Benchmark gate: head against 5 earlier run(s)');
    expect(same.stdout).toMatch(/^tool-replay\/normal\s+P50\s+5\s.*within noise/m);
    expect(same.stdout.trimEnd().split('\n').at(-1)).toBe('No regression.');
    const markdown = readFileSync(join(dir, 'same.md'), 'utf8');
    expect(markdown).toContain('# Benchmark gate: `head` against 5 earlier run(s)');
    expect(markdown).toContain('This run makes 2 gated comparison(s)');
    expect(markdown).toMatch(/\| tool-replay\/normal \| P50 \| 5 \| .* \| ➖ within noise \|/);
    expect(markdown).toContain('![P50: head ÷ baseline, with the range of unchanged code](same.svg)');
    expect(readFileSync(join(dir, 'same.svg'), 'utf8')).toMatch(/^<svg /);
    const slow = await cli('--baseline', `${earlier}/*.json`, join(dir, 'slow.json'));
    expect(slow.exitCode).toBe(1);
    expect(slow.stdout).toContain('2 regression(s): checkpoint-creation/normal P50, tool-replay/normal P50.');
    expect(slow.stdout).not.toMatch(/xychart|```/);
  });

  it('--baseline with fewer than 5 earlier runs says so and exits 0, even for a slowdown; neither the head file nor an export is a baseline', async () => {
    const dir = tempDir();
    for (let i = 0; i < 3; i++)
      writeFileSync(join(dir, `run${i}.json`), JSON.stringify(benchFile(`r${i}`, 0.03, i + 1)));
    writeFileSync(join(dir, 'slow.json'), JSON.stringify(benchFile('slow', 0.06, 9)));
    // An export beside the bench files (pnpm chaos --format bmf) is not an earlier run.
    writeFileSync(join(dir, 'r0.bmf.json'), '{}');
    const result = await cli('--baseline', dir, join(dir, 'slow.json'), '--output', join(dir, 'gate.md'));
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      '2 more earlier run(s) are needed. An earlier run is one benchmark file of a commit of the base branch',
    );
    expect(result.stdout).toContain(
      `To decide now from rounds instead, compare the head with one earlier file: pnpm bench:compare ${join(dir, 'run2.json')} ${join(dir, 'slow.json')}`,
    );
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('Not gated: 3 of 5 earlier runs.');
    const markdown = readFileSync(join(dir, 'gate.md'), 'utf8');
    expect(markdown).toContain(
      '> **Not gated:** 3 earlier run(s) given, and at least 5 are needed to estimate run-to-run noise.',
    );
    expect(markdown).toContain('**Not gated: 3 of 5 earlier runs.**');
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
    expect(result.stderr).toMatch(
      /bad\.json: schema is "something-else", expected "agentos-chaos\/bench@2" \(or the older "agentos-chaos\/bench@1"\)/,
    );
  });
});
