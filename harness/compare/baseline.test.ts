import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random.js';
import type { BenchFile } from '../report/bench-file.js';
import { DEFAULT_BASELINE, compareWithBaseline } from './baseline.js';
import { benchFile, benchRun, scaleRun } from './bench-fixture.js';

const VARIANTS = [
  { id: 'checkpoint-creation/normal', center: 0.015 },
  { id: 'checkpoint-creation/full', center: 0.1 },
  { id: 'llm-cache-lookup/normal', center: 0.0045 },
];

/** Runs of the same code on a noisy machine: each run's speed drifts by a log-normal factor (s ≈ 5 %), as measured here. */
function runs(count: number, firstSeed: number): BenchFile[] {
  const drift = seededRandom(firstSeed);
  return Array.from({ length: count }, (_, i) =>
    scaleRun(benchRun(`run${i}`, VARIANTS, firstSeed + i), Math.exp(0.05 * normal(drift)), `run${i}`),
  );
}

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('compareWithBaseline', () => {
  const [head, ...earlier] = runs(6, 11);

  it('does not flag an unchanged run against 5 earlier runs, and flags the same run slowed down 1.5×', () => {
    const unchanged = compareWithBaseline(earlier, head!);
    expect(unchanged.gated).toBe(true);
    expect(unchanged.rows.filter((r) => r.stat === 'p50').map((r) => r.verdict)).toEqual([
      'no change',
      'no change',
      'no change',
    ]);
    const slow = compareWithBaseline(earlier, scaleRun(head!, 1.5));
    expect(slow.rows.filter((r) => r.stat === 'p50').map((r) => r.verdict)).toEqual([
      'regression',
      'regression',
      'regression',
    ]);
    expect(slow.rows[0]!.ratio).toBeGreaterThan(1.3);
  });

  it('calls a clear speed-up an improvement', () => {
    const fast = compareWithBaseline(earlier, scaleRun(head!, 0.6));
    expect(fast.rows.filter((r) => r.stat === 'p50').map((r) => r.verdict)).toEqual([
      'improvement',
      'improvement',
      'improvement',
    ]);
  });

  it('does not gate with fewer than 5 earlier runs, even a 1.5× slowdown', () => {
    const result = compareWithBaseline(earlier.slice(0, 4), scaleRun(head!, 1.5));
    expect(result.gated).toBe(false);
    expect(result.comparisons).toBe(0);
    expect(new Set(result.rows.map((r) => r.verdict))).toEqual(new Set(['not gated']));
    expect(result.rows[0]!.reason).toBe('4 earlier run(s), 5 needed');
  });

  it('splits the false-alarm rate over the gated comparisons: P50 by default, P99 with gateP99', () => {
    const p50Only = compareWithBaseline(earlier, head!);
    expect(p50Only.comparisons).toBe(3);
    expect(p50Only.alpha).toBeCloseTo(0.01 / 3, 12);
    expect(p50Only.rows.find((r) => r.stat === 'p99')).toMatchObject({
      verdict: 'not gated',
      reason: "one run's P99 is too noisy; --gate-p99",
    });
    const both = compareWithBaseline(earlier, head!, { ...DEFAULT_BASELINE, gateP99: true });
    expect(both.comparisons).toBe(6);
    const fewSamples = runs(6, 40).map((f) => ({
      ...f,
      benchmarks: f.benchmarks.map((b) => ({ ...b, rounds: b.rounds.map((r) => ({ ...r, n: 500 })) })),
    }));
    expect(
      compareWithBaseline(fewSamples.slice(1), fewSamples[0]!, { ...DEFAULT_BASELINE, gateP99: true }).comparisons,
    ).toBe(3);
  });

  it("shows a peer's variant without gating it, even slowed down 1.5×", () => {
    const peer = (f: BenchFile): BenchFile => ({
      ...f,
      benchmarks: f.benchmarks.map((b) => (b.id === 'llm-cache-lookup/normal' ? { ...b, peer: true } : b)),
    });
    const result = compareWithBaseline(earlier.map(peer), peer(scaleRun(head!, 1.5)));
    expect(result.rows.find((r) => r.id === 'llm-cache-lookup/normal' && r.stat === 'p50')).toMatchObject({
      verdict: 'not gated',
      reason: 'a peer: shown, not gated',
    });
    expect(result.comparisons).toBe(2);
  });

  it('does not gate a benchmark that fewer than 5 earlier runs measured', () => {
    const newBenchmark = {
      ...head!,
      benchmarks: [...head!.benchmarks, ...benchFile('x', 0.02, 3, 1, 2000, 'tool-replay/normal').benchmarks],
    };
    const withIt = earlier.map((f, i) =>
      i < 3
        ? {
            ...f,
            benchmarks: [...f.benchmarks, ...benchFile('x', 0.02, 10 + i, 1, 2000, 'tool-replay/normal').benchmarks],
          }
        : f,
    );
    const row = compareWithBaseline(withIt, newBenchmark).rows.find(
      (r) => r.id === 'tool-replay/normal' && r.stat === 'p50',
    );
    expect(row).toMatchObject({ verdict: 'not gated', reason: 'in 3 of the earlier runs only' });
  });

  it('needs a change beyond the practical threshold as well as beyond the noise', () => {
    const same = Array.from({ length: 5 }, () => head!); // no spread at all: the bound is the baseline itself
    expect(compareWithBaseline(same, scaleRun(head!, 1.05)).rows[0]).toMatchObject({ verdict: 'no change' });
    expect(compareWithBaseline(same, scaleRun(head!, 1.15)).rows[0]).toMatchObject({ verdict: 'regression' });
  });

  it('fails unchanged runs at about the designed rate (1 % per run, simulated with log-normal run-to-run noise)', () => {
    // Each benchmark drifts independently here (the worst case for Bonferroni; noise shared by all makes it α/C).
    const random = seededRandom(7);
    const draw = (): BenchFile => ({
      ...templates[0]!,
      benchmarks: templates.flatMap((t) => scaleRun(t, Math.exp(0.1 * normal(random))).benchmarks),
    });
    let failures = 0;
    const trials = 3000;
    for (let t = 0; t < trials; t++) {
      const result = compareWithBaseline([draw(), draw(), draw(), draw(), draw()], draw(), {
        ...DEFAULT_BASELINE,
        thresholdP50: 0,
      });
      if (result.rows.some((r) => r.verdict === 'regression')) failures++;
    }
    // Expected 30 of 3000 (1 %); a binomial 99.99 % range is about 12–53.
    expect(failures).toBeGreaterThanOrEqual(12);
    expect(failures).toBeLessThanOrEqual(53);
  });
});

/** One small round per variant: only each run's P50 matters to the gate. */
const templates = VARIANTS.map((v, i) => benchFile('t', v.center, i + 1, 1, 20, v.id));
