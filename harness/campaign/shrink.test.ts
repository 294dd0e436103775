import { describe, expect, it } from 'vitest';
import type { CampaignRun } from './run.js';
import { runnable, shrink } from './shrink.js';
import type { Schedule } from './schedule.js';

// A violating run the way the campaign draws them: three workloads, three faults.
const FAILING: Schedule = {
  seed: 8,
  writers: 2,
  commits: 40,
  tools: 6,
  steps: 6,
  faults: [
    { kind: 'kill', target: 'tools', after: 2 },
    { kind: 'stale-runner', after: 2 },
    { kind: 'backup', after: 10 },
  ],
};

/** A stand-in for running a schedule: violates while `violates` holds, and counts the runs. */
function judge(violates: (s: Schedule) => boolean) {
  const runs: Schedule[] = [];
  const run = (schedule: Schedule): Promise<CampaignRun> => {
    runs.push(schedule);
    const verdict = violates(schedule) ? 'violation' : 'valid';
    return Promise.resolve({ schedule, verdict, reasons: verdict === 'valid' ? [] : ['stale write'], durationMs: 1 });
  };
  return { runs, run };
}

const needsStaleRunner = (s: Schedule): boolean => s.faults.some((f) => f.kind === 'stale-runner') && s.steps >= 2;

describe('shrink', () => {
  it('keeps only what the violation needs: one workload, one fault, the work halved while it still fails', async () => {
    const { run } = judge(needsStaleRunner);
    const steps: string[] = [];
    const result = await shrink(FAILING, run, (m) => steps.push(m));
    expect(result.schedule).toMatchObject({ writers: 0, tools: 0, steps: 3, faults: [{ kind: 'stale-runner' }] });
    expect(result.schedule.faults).toHaveLength(1);
    expect(result.reasons).toEqual(['stale write']);
    expect(steps).toContain('still fails with no writer');
    expect(steps).toContain('still fails with fault backup removed');
    expect(runnable(result.schedule)).toBe(true);
  });

  it('accepts a smaller schedule only when it fails twice, so the printed repro fails again', async () => {
    let calls = 0;
    // The smaller schedules fail every other run: none is reliable enough to keep.
    const { run } = judge((s) => s === FAILING || ++calls % 2 === 1);
    const result = await shrink(FAILING, run);
    expect(result.schedule).toBe(FAILING);
    expect(result.attempts).toBeGreaterThan(0);
  });

  it('never runs a schedule whose fault has no target, and stops at its budget of attempts', async () => {
    const { runs, run } = judge(() => true);
    await shrink(FAILING, run);
    expect(runs.every(runnable)).toBe(true);
    // Each attempt is at most two runs, and at most 30 attempts are made.
    expect(runs.length).toBeLessThanOrEqual(60);
  });
});
