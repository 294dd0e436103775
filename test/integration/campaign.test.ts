import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCampaign, runOnce } from '../../harness/campaign/run.js';
import { parseSchedule } from '../../harness/campaign/replay.js';
import { buildWorkers, mutantBuildDir } from '../../harness/workers/build.js';
import { MUTANTS, type Mutant } from '../../src/mutants.js';

// Seed 8's first run has a writer, a tool worker that dies right after spawning a command (the command runs on: its
// call is in doubt, deterministically) and a runner frozen past its lease, so each mutant can be caught at once; the
// campaign would draw up to 50 runs otherwise.
const SEED = 8;

/** Run folders a violation keeps for inspection, removed after each test. */
const kept: string[] = [];
afterEach(() => {
  for (const dir of kept.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Runs the campaign against a mutant's build and returns its one violation, kept for removal after the test. */
async function violationOf(mutant: Mutant, shrink: boolean) {
  await buildWorkers({ mutant });
  const buildDir = mutantBuildDir(mutant);
  const report = await runCampaign({ runs: 50, seed: SEED, mutant, buildDir, diskFull: false, shrink });
  // Runs go two at a time, so both may violate; the campaign stops and reports (and shrinks) the first.
  expect(report.verdicts.violation, JSON.stringify(report.verdicts)).toBeGreaterThanOrEqual(1);
  expect(report.violations).toHaveLength(1);
  const violation = report.violations[0]!;
  kept.push(violation.runDir);
  return { violation, buildDir };
}

/** The schedule a repro line prints, parsed back, run once more against the build. */
async function replayed(repro: string, buildDir: string) {
  const printed = /--replay '(.*)'/.exec(repro)?.[1] ?? '';
  const again = await runOnce(parseSchedule(printed), { buildDir });
  kept.push(again.result.runDir);
  return again.run;
}

// Each mutant breaks a different promise, so each shows a different checker returning invalid.
describe.each(Object.keys(MUTANTS) as Mutant[])('the campaign against the %s mutant', (mutant) => {
  it('finds a violation, and the printed repro fails again', { timeout: 600_000 }, async () => {
    const { violation, buildDir } = await violationOf(mutant, false);
    expect(violation.repro).toContain(`--mutant ${mutant}`);
    const again = await replayed(violation.repro, buildDir);
    expect(again.verdict, again.reasons.join('; ')).toBe('violation');
  });
});

// Shrinking (each candidate two whole runs) is shown with a stand-in for the runs in harness/campaign/shrink.test.ts.
describe('the campaign against the real layer', () => {
  it('finds no violation where each mutant was caught', { timeout: 600_000 }, async () => {
    const report = await runCampaign({ runs: 3, seed: SEED, diskFull: false });
    expect(report.violations.map((v) => v.reasons)).toEqual([]);
    // Undecided (nothing to judge, e.g. a writer killed before its first commit) or vacuous, but never a violation.
    expect(report.verdicts.violation + report.verdicts.error).toBe(0);
    expect(report.runs).toBe(3);
    expect(report.kills.total).toBeGreaterThanOrEqual(3);
  });
});
