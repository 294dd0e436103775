import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import { monotonicMs, wallTimeMs } from './time.js';

describe('time helpers', () => {
  it('wallTimeMs reads the epoch clock, not a process-relative one', () => {
    const before = systemClock.now();
    const wall = wallTimeMs();
    const after = systemClock.now();
    // timeOrigin is sampled once per process; within a short test it sits within a second of Date.now().
    expect(wall).toBeGreaterThan(before - 1000);
    expect(wall).toBeLessThan(after + 1000);
  });

  it('monotonicMs is one clock for every process on the machine: a child’s start and reading fall between two of ours', () => {
    const time = JSON.stringify(new URL('./time.ts', import.meta.url).href);
    // The child prints its reading and, by subtracting its own process-relative time, the moment it started.
    const program = `import(${time}).then((m) => { const now = m.monotonicMs(); process.stdout.write(JSON.stringify([now, now - performance.now()])); })`;
    const before = monotonicMs();
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', program], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const after = monotonicMs();
    expect(child.status).toBe(0);
    const [reading, started] = JSON.parse(child.stdout) as [number, number];
    expect(started).toBeGreaterThanOrEqual(before);
    expect(reading).toBeGreaterThan(started);
    expect(reading).toBeLessThanOrEqual(after);
  });
});
