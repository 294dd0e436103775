import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { benchFile } from '../compare/bench-fixture.js';
import type { BenchFile, RoundSummary } from './bench-file.js';
import { BenchFileError, parseBenchFile, readBenchFile } from './bench-read.js';

const parse = (file: unknown): BenchFile => parseBenchFile(JSON.parse(JSON.stringify(file)), 'head.json');
const problem = (file: unknown): string => {
  try {
    parse(file);
  } catch (error) {
    expect(error).toBeInstanceOf(BenchFileError);
    return (error as Error).message;
  }
  throw new Error('the file was accepted');
};
/** A copy of the fixture with its first round's summary changed. */
const withRound = (file: BenchFile, change: Partial<RoundSummary>): BenchFile => {
  const copy = structuredClone(file);
  Object.assign(copy.benchmarks[0]!.rounds[0]!, change);
  return copy;
};

describe('readBenchFile: samples', () => {
  it('refuses a sample that is not a number, naming file, benchmark, round, sample and value', () => {
    const file = benchFile('bbb', 0.048, 2);
    (file.benchmarks[0]!.samples as unknown) = [[null]];
    expect(problem(file)).toBe(
      'head.json is not a valid benchmark file:\n  benchmark "checkpoint-creation/normal", round 1, sample 1: null — must be a finite non-negative number',
    );
  });

  it('refuses a negative or textual sample', () => {
    const file = benchFile('bbb', 0.03, 2);
    file.benchmarks[0]!.samples[0]![5] = -0.01;
    (file.benchmarks[0]!.samples[0]! as unknown[])[7] = '0.03';
    const message = problem(file);
    expect(message).toContain('round 1, sample 6: -0.01 — must be a finite non-negative number');
    expect(message).toContain('round 1, sample 8: "0.03" — must be a finite non-negative number');
  });

  it('refuses samples out of order and a count that n cannot give', () => {
    const unsorted = benchFile('bbb', 0.03, 2);
    const kept = unsorted.benchmarks[0]!.samples[0]!;
    [kept[10], kept[11]] = [kept[11]!, kept[10]!];
    expect(problem(unsorted)).toContain(
      'samples: sample 12 is smaller than sample 11; retained samples are written in ascending order',
    );
    const short = benchFile('bbb', 0.03, 2);
    short.benchmarks[0]!.samples[0]!.pop();
    expect(problem(short)).toContain('round 1, samples: 1999 retained sample(s) do not fit n = 2000');
    const missing = benchFile('bbb', 0.03, 2);
    missing.benchmarks[0]!.samples = [];
    expect(problem(missing)).toContain('lists 0 round(s) of samples for 1 round summary(ies)');
  });

  it('names a missing file and a file that is not JSON', () => {
    expect(() => readBenchFile('/nonexistent/head.json')).toThrow('/nonexistent/head.json: no such file');
    expect(() => parseBenchFile({ schema: 'other' }, 'x.json')).toThrow(
      'x.json: schema is "other", expected "agentos-chaos/bench@2" (or the older "agentos-chaos/bench@1")',
    );
  });
});

describe('readBenchFile: bench@1 files', () => {
  /** The fixture as the bench@1 writer wrote it: no diff, no time per round. */
  const v1 = (file: BenchFile): unknown => {
    const rest: Partial<BenchFile> & Pick<BenchFile, 'benchmarks'> = structuredClone(file);
    delete rest.diff;
    return {
      ...rest,
      schema: 'agentos-chaos/bench@1',
      generatedAt: '2025-06-01T10:00:00.000Z',
      benchmarks: rest.benchmarks.map((b) => ({ ...b, rounds: b.rounds.map(({ at: _at, ...r }) => r) })),
    };
  };

  it('reads one as bench@2: no diff, each round measured when the file was written', () => {
    const file = benchFile('aaa', 0.03, 1, 2);
    const read = parse(v1(file));
    expect(read.schema).toBe('agentos-chaos/bench@2');
    expect(read.diff).toBeNull();
    expect(read.benchmarks[0]!.rounds.map((r) => r.at)).toEqual([
      '2025-06-01T10:00:00.000Z',
      '2025-06-01T10:00:00.000Z',
    ]);
    expect(read.benchmarks[0]!.rounds.map((r) => r.p50)).toEqual(file.benchmarks[0]!.rounds.map((r) => r.p50));
  });

  it('still names what is wrong in one', () => {
    const file = v1(benchFile('aaa', 0.03, 1)) as { benchmarks: { rounds: { p50: unknown }[] }[] };
    file.benchmarks[0]!.rounds[0]!.p50 = 'fast';
    expect(problem(file)).toContain('benchmark "checkpoint-creation/normal", round 1, p50: "fast"');
  });

  it('refuses a bench@2 file without the time of a round', () => {
    const file = structuredClone(benchFile('aaa', 0.03, 1)) as unknown as {
      benchmarks: { rounds: { at?: string }[] }[];
    };
    delete file.benchmarks[0]!.rounds[0]!.at;
    expect(problem(file)).toContain('benchmark "checkpoint-creation/normal", round 1, at: missing');
  });
});

describe('readBenchFile: summaries against the retained samples', () => {
  it('accepts what the bench runner writes, down-sampled or not', () => {
    expect(parse(benchFile('aaa', 0.03, 1, 3)).benchmarks[0]!.rounds).toHaveLength(3);
    const downSampled = benchFile('aaa', 0.03, 1, 2, 30_001);
    expect(downSampled.benchmarks[0]!.samples[0]).toHaveLength(1876); // every 16th of 30,001
    expect(parse(downSampled).benchmarks[0]!.rounds[0]!.n).toBe(30_001);
  });

  it('refuses every summary scaled by 1.5 with the samples untouched, naming each field and value', () => {
    const file = benchFile('ccc', 0.03, 1);
    const r = file.benchmarks[0]!.rounds[0]!;
    const scaled = withRound(file, {
      mean: r.mean! * 1.5,
      p50: r.p50! * 1.5,
      p95: r.p95! * 1.5,
      p99: r.p99! * 1.5,
      max: r.max! * 1.5,
      opsPerSec: r.opsPerSec / 1.5,
    });
    const message = problem(scaled);
    expect(message.split('\n')[0]).toBe('head.json contradicts itself:');
    for (const field of ['max', 'p50', 'p95', 'p99', 'mean']) {
      expect(message).toContain(
        `benchmark "checkpoint-creation/normal", round 1, ${field} = ${JSON.stringify(scaled.benchmarks[0]!.rounds[0]![field as 'p50'])}: disagrees with the retained samples`,
      );
    }
    expect(message).toContain(
      `p50 = ${JSON.stringify(r.p50! * 1.5)}: disagrees with the retained samples: the nearest-rank p50 (sorted sample 1000 of 2000) must be`,
    );
  });

  it('allows exactly what down-sampling leaves open: a percentile between its two retained neighbours, not beyond', () => {
    const file = benchFile('aaa', 0.03, 1, 1, 30_000); // every 15th kept
    const kept = file.benchmarks[0]!.samples[0]!;
    // Nearest-rank P95 of 30,000 is sorted sample 28,500 (index 28,499), between kept[1899] (index 28,485) and kept[1900].
    const [below, above] = [kept[1899]!, kept[1900]!];
    expect(() => parse(withRound(file, { p95: (below + above) / 2 }))).not.toThrow();
    expect(problem(withRound(file, { p95: above * 1.001 }))).toContain(
      `p95 = ${JSON.stringify(above * 1.001)}: disagrees with the retained samples: the nearest-rank p95 (sorted sample 28500 of 30000) must lie between`,
    );
    expect(problem(withRound(file, { p95: below * 0.999 }))).toContain(
      '(n = 30000, every 15th of the sorted samples retained)',
    );
  });

  it('bounds the mean by the retained samples and ties ops/s to it', () => {
    const file = benchFile('aaa', 0.03, 1, 1, 30_000);
    const r = file.benchmarks[0]!.rounds[0]!;
    expect(problem(withRound(file, { mean: r.mean! * 1.2, opsPerSec: 1000 / (r.mean! * 1.2) }))).toMatch(
      /round 1, mean = [\d.]+: disagrees with the retained samples: the mean must lie between/,
    );
    expect(problem(withRound(file, { opsPerSec: r.opsPerSec * 2 }))).toContain(
      `opsPerSec = ${JSON.stringify(r.opsPerSec * 2)}: must be 1000 / mean`,
    );
  });

  it('accepts an empty round only with null statistics', () => {
    const file = benchFile('aaa', 0.03, 1);
    file.benchmarks[0]!.rounds = [
      { n: 0, mean: null, p50: null, p95: null, p99: null, max: null, opsPerSec: 0, at: file.generatedAt },
    ];
    file.benchmarks[0]!.samples = [[]];
    expect(() => parse(file)).not.toThrow();
    expect(problem(withRound(file, { p50: 0.03 }))).toContain('round 1, p50 = 0.03: must be null when n = 0');
  });
});

describe('readBenchFile on disk', () => {
  const tempDir = useTempDir();
  it('reads a valid file back as written', () => {
    const path = join(tempDir(), 'run.json');
    const file = benchFile('aaa', 0.03, 1);
    writeFileSync(path, JSON.stringify(file));
    expect(readBenchFile(path)).toEqual(file);
  });
});
