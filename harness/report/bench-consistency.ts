import type { BenchEntry, RoundSummary } from './bench-file.js';

/** One summary field of one round that its retained samples contradict. */
export interface SummaryProblem {
  round: number;
  field: keyof RoundSummary | 'samples';
  /** The field's value, when the message does not already say it. */
  value?: number | null;
  message: string;
}

/** Floating-point slack for sums computed in a different order than the recorder's. */
const RELATIVE_SLACK = 1e-9;

/**
 * Checks each round's summary against its retained samples. The writer keeps every step-th of the round's sorted
 * samples (indices 0, step, 2·step, …, step = ⌈n/kept⌉), so each full-sample statistic lies between two known retained
 * samples (exactly on one when its index is a multiple of step): the bounds below are what down-sampling allows, no more.
 */
export function summaryProblems(entry: BenchEntry): SummaryProblem[] {
  if (entry.samples.length !== entry.rounds.length) {
    return [
      {
        round: 0,
        field: 'samples',
        message: `lists ${entry.samples.length} round(s) of samples for ${entry.rounds.length} round summary(ies); expected one per round`,
      },
    ];
  }
  return entry.rounds.flatMap((summary, i) => roundProblems(i + 1, summary, entry.samples[i]!));
}

function roundProblems(round: number, summary: RoundSummary, kept: number[]): SummaryProblem[] {
  const problem = (
    field: SummaryProblem['field'],
    value: number | null | undefined,
    message: string,
  ): SummaryProblem => (value === undefined ? { round, field, message } : { round, field, value, message });
  const { n } = summary;
  const unsorted = kept.findIndex((v, i) => i > 0 && v < kept[i - 1]!);
  if (unsorted > 0)
    return [
      problem(
        'samples',
        undefined,
        `sample ${unsorted + 1} is smaller than sample ${unsorted}; retained samples are written in ascending order`,
      ),
    ];
  if (n === 0) {
    const set = (['mean', 'p50', 'p95', 'p99', 'max'] as const).filter((f) => summary[f] !== null);
    return [
      ...(kept.length > 0
        ? [problem('samples', undefined, `${kept.length} retained, but a round with n = 0 retains none`)]
        : []),
      ...set.map((f) => problem(f, summary[f], 'must be null when n = 0')),
      ...(summary.opsPerSec !== 0 ? [problem('opsPerSec', summary.opsPerSec, 'must be 0 when n = 0')] : []),
    ];
  }
  const step = kept.length === 0 ? 0 : Math.ceil(n / kept.length);
  if (kept.length === 0 || kept.length > n || Math.ceil(n / step) !== kept.length) {
    const possible = [1, 2, 3].map((k) => Math.ceil(n / k)).join(', ');
    return [
      problem(
        'samples',
        undefined,
        `${kept.length} retained sample(s) do not fit n = ${n}: keeping every k-th of ${n} sorted samples retains ⌈${n}/k⌉ (${possible}, …)`,
      ),
    ];
  }
  const problems: SummaryProblem[] = [];
  const basis =
    step === 1 ? `all ${n} samples are retained` : `n = ${n}, every ${ordinal(step)} of the sorted samples retained`;
  /** The bounds of the full sample's value at 0-based sorted index i. */
  const at = (i: number): [number, number] => {
    const j = Math.floor(i / step);
    if (i % step === 0) return [kept[j]!, kept[j]!];
    return [kept[j]!, kept[j + 1] ?? summary.max ?? Infinity];
  };
  const checkWithin = (
    field: SummaryProblem['field'],
    value: number | null,
    [low, high]: [number, number],
    what: string,
  ): void => {
    if (value === null) problems.push(problem(field, value, `must be a number when n = ${n}`));
    else if (value < low * (1 - RELATIVE_SLACK) || value > high * (1 + RELATIVE_SLACK)) {
      const expected =
        low === high
          ? `must be ${format(low)}`
          : high === Infinity
            ? `must be at least ${format(low)}`
            : `must lie between ${format(low)} and ${format(high)}`;
      problems.push(problem(field, value, `disagrees with the retained samples: ${what} ${expected} (${basis})`));
    }
  };
  const last = kept[kept.length - 1]!;
  checkWithin('max', summary.max, (n - 1) % step === 0 ? [last, last] : [last, Infinity], 'the largest sample');
  for (const [field, q] of [
    ['p50', 0.5],
    ['p95', 0.95],
    ['p99', 0.99],
  ] as const) {
    const index = Math.max(0, Math.ceil(q * n) - 1);
    checkWithin(field, summary[field], at(index), `the nearest-rank ${field} (sorted sample ${index + 1} of ${n})`);
  }
  checkWithin('mean', summary.mean, meanBounds(kept, n, step, summary.max ?? last), 'the mean');
  const ops = summary.mean ? 1000 / summary.mean : 0;
  if (Math.abs(summary.opsPerSec - ops) > ops * RELATIVE_SLACK) {
    problems.push(problem('opsPerSec', summary.opsPerSec, `must be 1000 / mean = ${format(ops)}`));
  }
  return problems;
}

/** Each block of `step` sorted samples lies between its retained first sample and the next block's (or the max). */
function meanBounds(kept: number[], n: number, step: number, max: number): [number, number] {
  let low = 0;
  let high = 0;
  for (let j = 0; j < kept.length; j++) {
    const count = Math.min(step, n - j * step);
    low += count * kept[j]!;
    high += kept[j]! + (count - 1) * (kept[j + 1] ?? max);
  }
  return [low / n, high / n];
}

function format(x: number): string {
  return Number(x.toPrecision(6)).toString();
}

function ordinal(k: number): string {
  const tens = k % 100;
  const suffix =
    tens >= 11 && tens <= 13 ? 'th' : k % 10 === 1 ? 'st' : k % 10 === 2 ? 'nd' : k % 10 === 3 ? 'rd' : 'th';
  return `${k}${suffix}`;
}
