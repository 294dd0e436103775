import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from './recorder.js';

describe('LatencyRecorder', () => {
  it('computes nearest-rank percentiles', () => {
    const r = new LatencyRecorder();
    for (let i = 100; i >= 1; i--) r.record(i);
    expect(r.summary()).toMatchObject({ n: 100, p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 });
  });

  it('picks the sample at ⌈q·n⌉−1 for small n', () => {
    const r = new LatencyRecorder();
    [3, 1, 2].forEach((x) => r.record(x));
    expect(r.summary()).toMatchObject({ p50: 2, p95: 3, p99: 3 });
  });

  it('grows past its initial capacity without losing samples', () => {
    const r = new LatencyRecorder();
    for (let i = 0; i < 5000; i++) r.record(i);
    expect(r.count).toBe(5000);
    expect(r.samples()[4999]).toBe(4999);
    expect(r.summary().max).toBe(4999);
  });

  it('flags percentiles with too few samples, and summarises nothing as nulls', () => {
    const r = new LatencyRecorder();
    expect(r.summary()).toMatchObject({ n: 0, p50: null, insufficient: ['p50', 'p95', 'p99'] });
    for (let i = 0; i < 300; i++) r.record(i);
    expect(r.summary().insufficient).toEqual(['p99']);
  });
});
