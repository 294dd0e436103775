import { describe, expect, it } from 'vitest';
import { ManualClock, SkewedClock, systemClock } from './clock.js';

describe('clocks', () => {
  it('ManualClock moves only when told', () => {
    const c = new ManualClock(1000);
    expect(c.now()).toBe(1000);
    c.advance(250);
    expect(c.now()).toBe(1250);
    c.set(5);
    expect(c.now()).toBe(5);
  });

  it('SkewedClock shifts another clock by an adjustable offset', () => {
    const base = new ManualClock(10_000);
    const skewed = new SkewedClock(base);
    skewed.skew(3000);
    skewed.skew(-500);
    expect(skewed.offsetMs).toBe(2500);
    expect(skewed.now()).toBe(12_500);
    base.advance(1);
    expect(skewed.now()).toBe(12_501);
    skewed.reset();
    expect(skewed.now()).toBe(base.now());
  });

  it('systemClock reads wall time', () => {
    const before = new Date().getTime();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(Object.isFrozen(systemClock)).toBe(true);
  });
});
