import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { pgSkipReason } from '../../test/helpers/temp-pg.js';
import { pgUrl } from '../postgres/pg-server.js';
import { PROBE_CRASH_FILE_VARIABLE } from '../bench/probe-subjects.js';
import type { HistoryEntry } from '../workers/protocol.js';
import { benchmarkSchema, type BenchmarkInput } from '../schema.js';
import { historyPath } from './persist.js';
import { SLICES, runBenchmark, schedule } from './benchmark.js';

/** A benchmark of the runner's probes (operations that cost nothing), 2 ms a slice. */
function probes(variants: BenchmarkInput['variants'], more: Partial<BenchmarkInput> = {}) {
  return benchmarkSchema.parse({
    id: 'probe-bench',
    title: 'Probes',
    purpose: 'The runner’s own test.',
    seedTest: '—',
    procedure: ['Times probes.'],
    variants,
    timeMs: 2 * SLICES,
    warmupMs: 1,
    iterations: SLICES,
    criteria: [
      { id: 'p50', description: 'P50', seed: '—', ours: '—', metric: { variant: 'a', stat: 'p50', maxMs: 1000 } },
    ],
    ...more,
  });
}

const history = (runsDir: string): HistoryEntry[] =>
  readFileSync(historyPath('probe-bench', runsDir), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as HistoryEntry);

/** The workers whose slices ended, in the order the harness saw them. */
const sliceOrder = (entries: HistoryEntry[]): string[] =>
  entries.filter((e) => e.kind === 'bench.slice').map((e) => e.worker);

describe('runBenchmark interleaves the variants that can idle', () => {
  const tempDir = useTempDir();

  it('times the variants in alternating slices, then an unsliceable one alone, and leaves no process behind', async () => {
    const runsDir = tempDir();
    const result = await runBenchmark(
      probes([
        { name: 'a', subject: 'probe-noop' },
        { name: 'background', subject: 'probe-unsliceable', peer: true },
        { name: 'b', subject: 'probe-noop' },
      ]),
      { seed: 1, runsDir },
    );
    expect(result.state === 'failed' ? result.reasons : []).toEqual([]);
    expect(result.survivors).toEqual([]);
    const entries = history(runsDir);
    expect(sliceOrder(entries)).toEqual(Array.from({ length: SLICES }, () => ['a', 'b']).flat());
    // Each slice's samples are in the variant's samples: as many as its slices reported.
    for (const name of ['a', 'b']) {
      const reported = entries
        .filter(
          (e): e is Extract<HistoryEntry, { kind: 'bench.slice' }> => e.kind === 'bench.slice' && e.worker === name,
        )
        .reduce((sum, e) => sum + e.samples, 0);
      const measured = result.measurements.find((m) => m.variant === name);
      expect(measured?.summary.n).toBe(reported);
      // Ascending, as the bench files require, though the slices were timed apart.
      expect(measured?.samples).toEqual([...(measured?.samples ?? [])].sort((x, y) => x - y));
    }
    // The unsliceable variant's process starts after the last slice of the others, and is timed in one go.
    const lastSlice = entries.findLastIndex((e) => e.kind === 'bench.slice');
    const started = entries.findIndex((e) => e.kind === 'worker.ready' && e.worker === 'background');
    expect(started).toBeGreaterThan(lastSlice);
    expect(entries.some((e) => e.worker === 'background' && e.kind.startsWith('bench.slice'))).toBe(false);
    expect(result.measurements.map((m) => m.variant)).toEqual(['a', 'background', 'b']);
    expect(result.procedure.at(-1)).toMatch(/^Interleaved: a, b, .* Timed alone afterwards, .*: background\.$/);
  });

  it('reports a variant that fails mid-way, and the others still finish', async () => {
    const runsDir = tempDir();
    const crashFile = join(tempDir(), 'crash-now');
    // Workers inherit the environment.
    vi.stubEnv(PROBE_CRASH_FILE_VARIABLE, crashFile);
    try {
      const result = await runBenchmark(
        probes([
          { name: 'a', subject: 'probe-noop' },
          { name: 'crashing', subject: 'probe-crash' },
        ]),
        {
          seed: 1,
          runsDir,
          // From the third round on, the probe fails at its next call.
          onProgress: (message) => {
            if (message.startsWith('round 3/')) writeFileSync(crashFile, '');
          },
        },
      );
      const reasons = result.state === 'failed' ? result.reasons : [];
      expect(reasons).toContainEqual(expect.stringMatching(/^variant crashing failed: Error: probe crashed/));
      expect(reasons).toContainEqual(expect.stringMatching(/^variant crashing reported no samples/));
      expect(result.survivors).toEqual([]);
      expect(result.measurements.map((m) => m.variant)).toEqual(['a']);
      const order = sliceOrder(history(runsDir));
      expect(order.slice(0, 4)).toEqual(['a', 'crashing', 'a', 'crashing']);
      expect(order.slice(4)).toEqual(Array.from({ length: SLICES - 2 }, () => 'a'));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('times every variant alone with interleave: false, or when fewer than two can idle', () => {
    const two = [
      { name: 'a', subject: 'probe-noop' as const },
      { name: 'b', subject: 'probe-noop' as const },
    ];
    expect(schedule(probes(two, { interleave: false })).interleaved).toEqual([]);
    expect(schedule(probes(two)).interleaved.map((v) => v.name)).toEqual(['a', 'b']);
    const oneSliceable = schedule(probes([two[0]!, { name: 'u', subject: 'probe-unsliceable' }]));
    expect(oneSliceable.interleaved).toEqual([]);
    expect(oneSliceable.alone.map((v) => v.name)).toEqual(['a', 'u']);
  });

  it.skipIf(pgSkipReason)(
    'keeps a PostgreSQL fixture its variants share until the last of them is done, also timed one after another',
    async () => {
      // The first variant fills the thread in its schema, the second reads it from there after the first has exited.
      const result = await runBenchmark(
        probes(
          [
            { name: 'a', subject: 'growth-agentos-pg-by-id-1k' },
            { name: 'b', subject: 'growth-agentos-pg-latest-1k' },
          ],
          { interleave: false },
        ),
        { seed: 1, runsDir: tempDir(), postgres: { url: pgUrl() } },
      );
      expect(result.state === 'failed' ? result.reasons : []).toEqual([]);
      expect(result.measurements.map((m) => m.variant)).toEqual(['a', 'b']);
    },
  );
});
