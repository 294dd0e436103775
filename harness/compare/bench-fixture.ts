// Benchmark files for tests, shaped like the ones `pnpm bench` writes.
import { seededRandom } from '../random.js';
import { LatencyRecorder } from '../recorder.js';
import { mergeRounds, type BenchEntry, type BenchFile } from '../report/bench-file.js';

const GENERATED_AT = '2026-01-01T00:00:00.000Z';

/** As the bench runner does: at most this many samples per round are kept, every step-th of the sorted samples. */
const KEPT = 2000;

/**
 * A benchmark file with `rounds` rounds of log-normal-ish latencies around `center` ms, 1 % of them 5× slower
 * (seeded, so tests are repeatable). Rounds of more than 2,000 samples are down-sampled as the bench runner does.
 */
export function benchFile(
  commit: string,
  center: number,
  seed: number,
  rounds = 1,
  n = 2000,
  id = 'checkpoint-creation/normal',
): BenchFile {
  const random = seededRandom(seed);
  const [benchmark = id, variant = 'normal'] = id.split('/');
  const entry: BenchEntry = {
    id,
    benchmark,
    variant,
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
    entry.rounds.push({ n, mean, p50, p95, p99, max, opsPerSec: mean ? 1000 / mean : 0, at: GENERATED_AT });
    const step = Math.max(1, Math.ceil(n / KEPT));
    entry.samples.push(samples.sort((a, b) => a - b).filter((_, i) => i % step === 0));
  }
  return {
    schema: 'agentos-chaos/bench@2',
    commit,
    dirty: false,
    diff: null,
    generatedAt: GENERATED_AT,
    environment: {
      commit,
      dirty: false,
      node: 'v20',
      v8: 'x',
      sqlite: '3',
      cpu: 'cpu',
      cores: 2,
      memoryGiB: 24,
      os: 'linux',
    },
    tool: { name: 'tinybench', version: '6' },
    unit: 'ms',
    percentileMethod: 'nearest-rank',
    benchmarks: [entry],
  };
}

/** One file with several benchmarks (each from benchFile with its own center and seed). */
export function benchRun(
  commit: string,
  variants: readonly { id: string; center: number }[],
  seed: number,
  n = 2000,
): BenchFile {
  const files = variants.map((v, i) => benchFile(commit, v.center, seed * 100 + i, 1, n, v.id));
  return { ...files[0]!, benchmarks: files.flatMap((f) => f.benchmarks) };
}

/** The same run slowed down by `factor`: every summary and every sample scaled, so the file stays consistent. */
export function scaleRun(file: BenchFile, factor: number, commit = `${file.commit}-x${factor}`): BenchFile {
  return {
    ...file,
    commit,
    benchmarks: file.benchmarks.map((b) => ({
      ...b,
      rounds: b.rounds.map((r) => ({
        n: r.n,
        mean: r.mean === null ? null : r.mean * factor,
        p50: r.p50 === null ? null : r.p50 * factor,
        p95: r.p95 === null ? null : r.p95 * factor,
        p99: r.p99 === null ? null : r.p99 * factor,
        max: r.max === null ? null : r.max * factor,
        opsPerSec: r.opsPerSec / factor,
        at: r.at,
      })),
      samples: b.samples.map((s) => s.map((x) => x * factor)),
    })),
  };
}

/** A standard normal draw (Box–Muller). */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * A file of `rounds` rounds of several variants, as `pnpm bench --rounds n` writes it: each round of each variant is
 * slower or faster by its own log-normal factor (round-to-round spread `spread`, 0.05 ≈ 5 %), and `slowdown` scales
 * chosen variants throughout. Small rounds (300 samples) keep tests fast; seeded, so repeatable.
 */
export function roundsFile(
  commit: string,
  variants: readonly { id: string; center: number }[],
  seed: number,
  rounds: number,
  options: { spread?: number; slowdown?: Readonly<Record<string, number>> } = {},
): BenchFile {
  const random = seededRandom(seed);
  const files = Array.from({ length: rounds }, (_, r) => {
    const run = benchRun(commit, variants, seed * 1000 + r, 300);
    return {
      ...run,
      benchmarks: run.benchmarks.map(
        (b) =>
          scaleRun(
            { ...run, benchmarks: [b] },
            (options.slowdown?.[b.id] ?? 1) * Math.exp((options.spread ?? 0.05) * normal(random)),
            commit,
          ).benchmarks[0]!,
      ),
    };
  });
  return mergeRounds(files);
}
