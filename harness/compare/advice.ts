import { basename } from 'node:path';
import type { BenchFile } from '../report/bench-file.js';
import { benchFileName } from '../report/bench-store.js';
import type { Environment } from '../report/environment.js';
import { MIN_BASELINE_RUNS, type BaselineComparison } from './baseline.js';
import { MIN_GATE_ROUNDS, type FileComparison } from './compare.js';

/** One side of a comparison: the file as read and the path it was read from. */
export interface Side {
  label: 'base' | 'head';
  path: string;
  file: BenchFile;
}

/**
 * When a side has fewer than MIN_GATE_ROUNDS rounds: how many more each side needs and the command that adds them,
 * run where (this working tree, a checkout of the file's commit, or the same uncommitted changes). `current` is the
 * state of the code the command is run in; `bench` the benchmark command (`pnpm bench`).
 */
export function roundsAdvice(
  result: FileComparison,
  sides: readonly [Side, Side],
  current: Pick<Environment, 'commit' | 'dirty' | 'diff'>,
  bench: string,
): string[] {
  const more = { base: result.needed.base, head: result.needed.head };
  if (more.base === 0 && more.head === 0) return [];
  const lines = [
    `**Not gated${result.comparisons > 0 ? ' for every variant' : ''}:** a comparison decides with at least ${MIN_GATE_ROUNDS} rounds a side; ` +
      `${sides.map((s) => `${s.label} needs ${more[s.label]} more`).join(', ')}. Each \`${bench}\` adds a round to its commit's file (\`--rounds n\` adds n):`,
  ];
  for (const [i, side] of sides.entries()) {
    const k = more[side.label];
    if (k === 0) continue;
    const short = result.rows.filter((r) => r.stat === 'p50' && r.rounds[i]! < MIN_GATE_ROUNDS).map((r) => r.benchmark);
    lines.push(`- ${side.label} (${side.path}): ${where(side, k, new Set(short), current, bench)}`);
  }
  return lines;
}

/** Where and how `k` more rounds of the benchmarks `short` are measured for this side. */
function where(
  side: Side,
  k: number,
  short: ReadonlySet<string>,
  current: Pick<Environment, 'commit' | 'dirty' | 'diff'>,
  bench: string,
): string {
  const { file } = side;
  const all = new Set(file.benchmarks.map((b) => b.benchmark));
  const only = short.size < all.size ? ` --only ${[...short].join(',')}` : '';
  const command = `${bench} --rounds ${k}${only}`;
  const name = benchFileName(file);
  const goesTo = basename(side.path) === name ? '' : ` (they go to reports/bench/${name}: compare that file)`;
  const here =
    file.commit === current.commit && file.dirty === current.dirty && (!file.dirty || file.diff === current.diff);
  if (here) return `\`${command}\` in this working tree${goesTo}`;
  if (!file.dirty)
    return (
      `\`git switch --detach ${file.commit} && ${command}\`${goesTo}` +
      (current.dirty ? '; commit or stash your uncommitted changes first (they would be measured too)' : '')
    );
  return `its uncommitted changes (${file.diff ?? 'not recorded'}) on ${file.commit} are not this working tree: re-create them, then \`${command}\`${goesTo}`;
}

/**
 * When the baseline gate has too few earlier runs: how many more, where they come from, and — with one earlier file —
 * the two-file comparison, which decides from rounds. `compare` is the comparison command (`pnpm bench:compare`).
 */
export function baselineAdvice(
  result: BaselineComparison,
  earlier: readonly Side[],
  head: Side,
  compare: string,
  bench: string,
): string[] {
  if (result.gated) return [];
  const lines = [
    `${MIN_BASELINE_RUNS - result.runs} more earlier run(s) are needed. An earlier run is one benchmark file of a commit of ` +
      `the base branch: in CI each push to main adds its file to the benchmark history; here \`${bench}\` on another ` +
      'commit of the base branch writes one (reports/bench/<commit>.json).',
  ];
  const last = earlier.at(-1);
  if (last)
    lines.push(
      `To decide now from rounds instead, compare the head with one earlier file: \`${compare} ${last.path} ${head.path}\` ` +
        `(at least ${MIN_GATE_ROUNDS} rounds a side; \`${bench} --rounds n\` adds n).`,
    );
  return lines;
}
