import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nearestRank, nearestRankIndex, summarizeLatencies } from './percentile.js';

describe('nearestRank', () => {
  it('picks the sample at ⌈q·n⌉−1 of the sorted samples', () => {
    expect(nearestRank([1, 2, 3], 0.5)).toBe(2);
    expect(nearestRank([1, 2, 3], 0.95)).toBe(3);
    expect(nearestRank([1, 2, 3, 4], 0.5)).toBe(2);
    expect(nearestRank([1, 2, 3, 4], 0)).toBe(1);
    expect(nearestRank([1, 2, 3, 4], 1)).toBe(4);
    expect(nearestRank([], 0.5)).toBeNull();
    expect([
      nearestRankIndex(100, 0.5),
      nearestRankIndex(100, 0.99),
      nearestRankIndex(3, 0),
      nearestRankIndex(3, 1),
    ]).toEqual([49, 98, 0, 2]);
  });

  it('is the smallest sample with at least q·n samples at or below it', () => {
    const samples = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 });
    fc.assert(
      fc.property(samples, fc.double({ min: 0, max: 1, noNaN: true }), (xs, q) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const atOrBelow = (v: number): number => sorted.filter((x) => x <= v).length;
        const expected = sorted.find((v) => atOrBelow(v) >= q * sorted.length);
        expect(nearestRank(sorted, q)).toBe(expected);
      }),
    );
  });
});

describe('summarizeLatencies', () => {
  it('computes nearest-rank percentiles, the mean and the maximum of unsorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summarizeLatencies(samples)).toMatchObject({ n: 100, p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 });
    expect(samples[0]).toBe(100); // the input is left in its order
  });

  it('sorts numerically, not as strings', () => {
    expect(summarizeLatencies([10, 9, 100, 2])).toMatchObject({ p50: 9, max: 100 });
  });

  it('flags percentiles with too few samples, and summarises nothing as nulls', () => {
    expect(summarizeLatencies([])).toEqual({
      n: 0,
      mean: null,
      p50: null,
      p95: null,
      p99: null,
      max: null,
      insufficient: ['p50', 'p95', 'p99'],
    });
    expect(summarizeLatencies(Array.from({ length: 300 }, (_, i) => i)).insufficient).toEqual(['p99']);
  });
});
