import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from './recorder.js';

describe('LatencyRecorder', () => {
  it('summarises what it recorded by nearest rank', () => {
    const r = new LatencyRecorder();
    for (let i = 100; i >= 1; i--) r.record(i);
    expect(r.summary()).toMatchObject({ n: 100, p50: 50, p95: 95, p99: 99, max: 100, mean: 50.5 });
  });

  it('grows past its initial capacity without losing samples', () => {
    const r = new LatencyRecorder();
    for (let i = 0; i < 5000; i++) r.record(i);
    expect(r.count).toBe(5000);
    expect(r.samples()[4999]).toBe(4999);
    expect(r.summary().max).toBe(4999);
  });

  it('summarises only the recorded samples, not the unused capacity', () => {
    const r = new LatencyRecorder();
    [3, 1, 2].forEach((x) => r.record(x));
    expect(r.summary()).toMatchObject({ n: 3, p50: 2, p99: 3, max: 3, mean: 2 });
  });
});
