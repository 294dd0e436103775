import { describe, expect, it } from 'vitest';
import { time } from './bench.js';

describe('a benchmark worker’s timing loop', () => {
  it('warms up for the declared time with one call at least, not tinybench’s 16 calls', async () => {
    let calls = 0;
    const samples = await time('counted', () => void calls++, 0, 3, 0);
    // No time to fill: the minimum of each phase. tinybench calls a task once before anything (to see whether it
    // returns a promise), then one warm-up call and the three declared iterations (with its default warm-up, 20 calls).
    expect(samples).toHaveLength(3);
    expect(calls).toBe(1 + 1 + 3);
  });

  it('does not warm up when no warm-up is declared', async () => {
    let calls = 0;
    await time('counted', () => void calls++, 0, 2, undefined);
    expect(calls).toBe(1 + 2);
  });
});
