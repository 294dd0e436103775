import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Mutant } from '../../src/mutants.js';
import { hashString } from '../random.js';
import type { ScenarioResult } from '../result.js';
import { runScenario } from '../run/scenario.js';
import { scenarioSchema } from '../schema.js';
import { reportsDir } from '../project.js';
import { describeSchedule, generateSchedule, toScenario, type Schedule } from './schedule.js';
import { shrink } from './shrink.js';
import { PROGRAM } from '../program.js';

export interface CampaignOptions {
  runs: number;
  seed: number;
  /** Run the schedules given instead of drawing them (a replayed repro). */
  schedules?: readonly Schedule[];
  /** A deliberately broken layer's build, to show the checkers catch it (see src/mutants.ts). */
  mutant?: Mutant;
  buildDir?: string;
  /** The run folder may get a file system of its own (root on Linux): disk-full faults are drawn. */
  diskFull: boolean;
  /** Shrink the first violation to the smallest schedule that still fails (default true). */
  shrink?: boolean;
  signal?: AbortSignal;
  onRun?: (done: number, total: number, run: CampaignRun, report: CampaignReport) => void;
  onViolation?: (violation: Violation) => void;
  onShrinkStep?: (message: string) => void;
}

/** Campaign runs in flight at once. */
const CAMPAIGN_CONCURRENCY = 2;

export type RunVerdict = 'valid' | 'violation' | 'unknown' | 'vacuous' | 'error';

export interface CampaignRun {
  schedule: Schedule;
  verdict: RunVerdict;
  reasons: string[];
  durationMs: number;
}

export interface Violation {
  schedule: Schedule;
  repro: string;
  reasons: string[];
  /** The smallest schedule found that still violates, with its repro and how many runs shrinking took. */
  shrunk?: { schedule: Schedule; repro: string; reasons: string[]; attempts: number };
  /** The violating run's folder (database, side-effect files), kept for inspection. */
  runDir: string;
}

/** What a campaign found, for the terminal and the report's Invariants section. */
export interface CampaignReport {
  seed: number;
  runs: number;
  mutant: Mutant | null;
  durationMs: number;
  verdicts: Record<RunVerdict, number>;
  kills: { total: number; byPoint: Record<string, number> };
  operations: number;
  /** Per checker (criterion id): how many runs it judged valid, invalid or unknown. */
  checkers: Record<string, { valid: number; invalid: number; unknown: number }>;
  violations: Violation[];
  /** Runs that ended in a harness error or a timeout: the campaign could not judge them. */
  errors: { repro: string; reasons: string[] }[];
  interrupted: boolean;
}

/** The command that replays one schedule. */
export function reproLine(schedule: Schedule, mutant: Mutant | undefined): string {
  return `${PROGRAM} --replay '${JSON.stringify(schedule)}'${mutant ? ` --mutant ${mutant}` : ''}`;
}

/**
 * Runs a randomized fault campaign: each run draws a schedule from the campaign seed, runs it through the ordinary
 * scenario runner, and judges it with the invariant checkers. The first violation is shrunk.
 */
export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const started = performance.now();
  const total = options.schedules?.length ?? options.runs;
  const report: CampaignReport = {
    seed: options.seed,
    runs: 0,
    mutant: options.mutant ?? null,
    durationMs: 0,
    verdicts: { valid: 0, violation: 0, unknown: 0, vacuous: 0, error: 0 },
    kills: { total: 0, byPoint: {} },
    operations: 0,
    checkers: {},
    violations: [],
    errors: [],
    interrupted: false,
  };
  // Runs go CAMPAIGN_CONCURRENCY at a time (each has its own folder, database and processes): much of a run is
  // waiting for processes to start. The first violation stops drawing new runs; it is shrunk once the others end.
  let next = 0;
  let found: { schedule: Schedule; run: CampaignRun; runDir: string } | undefined;
  const lane = async (): Promise<void> => {
    while (next < total && !found && !options.signal?.aborted) {
      const i = next++;
      const schedule =
        options.schedules?.[i] ?? generateSchedule(hashString(`${options.seed}:${i}`), { diskFull: options.diskFull });
      const { run, result } = await runOnce(schedule, options);
      if (options.signal?.aborted) return;
      tally(report, run, result);
      options.onRun?.(report.runs, total, run, report);
      if (run.verdict === 'error')
        report.errors.push({ repro: reproLine(schedule, options.mutant), reasons: run.reasons });
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the other lane may have set it meanwhile
      if (run.verdict === 'violation' && !found) found = { schedule, run, runDir: result.runDir };
      // Only the first violation's folder is kept.
      else if (run.verdict === 'violation') rmSync(result.runDir, { recursive: true, force: true });
    }
  };
  await Promise.all(Array.from({ length: CAMPAIGN_CONCURRENCY }, lane));
  if (found && !options.signal?.aborted) {
    const violation: Violation = {
      schedule: found.schedule,
      repro: reproLine(found.schedule, options.mutant),
      reasons: found.run.reasons,
      runDir: found.runDir,
    };
    if (options.shrink ?? true) {
      const shrunk = await shrink(
        found.schedule,
        async (candidate) => {
          // Shrinking's runs leave nothing behind: the repro replays each.
          const { run, result } = await runOnce(candidate, options);
          rmSync(result.runDir, { recursive: true, force: true });
          return run;
        },
        options.onShrinkStep,
        options.signal,
      );
      violation.shrunk = { ...shrunk, repro: reproLine(shrunk.schedule, options.mutant) };
    }
    report.violations.push(violation);
    options.onViolation?.(violation);
  }
  report.interrupted = options.signal?.aborted ?? false;
  report.durationMs = performance.now() - started;
  return report;
}

/** One schedule through the runner, classified: a checker found a violation, or it could not judge, or all is valid. */
export async function runOnce(
  schedule: Schedule,
  options: Pick<CampaignOptions, 'buildDir' | 'signal'>,
): Promise<{ run: CampaignRun; result: ScenarioResult }> {
  const started = performance.now();
  const scenario = scenarioSchema.parse(toScenario(schedule));
  const result = await runScenario(scenario, {
    seed: schedule.seed,
    runsDir: join(reportsDir(), 'campaign-runs'),
    ...(options.buildDir ? { buildDir: options.buildDir } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const invalid = result.criteria.filter((c) => c.valid === false);
  const reasons = result.state === 'failed' ? result.reasons : [];
  const harnessProblems = reasons.filter((r) =>
    /^(timed out|harness error|workers did not exit|child processes survived|action )/.test(r),
  );
  const verdict: RunVerdict =
    invalid.length > 0
      ? 'violation'
      : harnessProblems.length > 0
        ? 'error'
        : result.criteria.some((c) => c.valid === 'unknown')
          ? 'unknown'
          : reasons.some((r) => r.startsWith('fault did not fire'))
            ? 'vacuous'
            : 'valid';
  // The runner keeps the folder of every run that did not pass; the campaign keeps it only where there is something
  // to look at (a violation, or a run it could not judge), not for every run whose fault did not bite.
  if (verdict !== 'violation' && verdict !== 'error' && result.runDir)
    rmSync(result.runDir, { recursive: true, force: true });
  const shown =
    verdict === 'violation'
      ? invalid.map((c) => `${c.description}: ${c.measured}${c.details ? ` (${c.details})` : ''}`)
      : reasons;
  return { run: { schedule, verdict, reasons: shown, durationMs: performance.now() - started }, result };
}

function tally(report: CampaignReport, run: CampaignRun, result: ScenarioResult): void {
  report.runs++;
  report.verdicts[run.verdict]++;
  for (const v of result.vacuity) {
    if (!v.fired || (v.fault !== 'crash-point' && v.fault !== 'sigkill')) continue;
    const point = v.fault === 'sigkill' ? 'kill -9 (harness)' : (/died at (\S+)/.exec(v.detail)?.[1] ?? 'crash point');
    report.kills.total++;
    report.kills.byPoint[point] = (report.kills.byPoint[point] ?? 0) + 1;
  }
  for (const c of result.criteria) {
    const entry = (report.checkers[c.id] ??= { valid: 0, invalid: 0, unknown: 0 });
    if (c.valid === true) entry.valid++;
    else if (c.valid === false) entry.invalid++;
    else entry.unknown++;
    if (c.id === 'acknowledged-durable' || c.id === 'effects-once')
      report.operations += (c.data?.ok ?? 0) + (c.data?.fail ?? 0) + (c.data?.info ?? 0) + (c.data?.calls ?? 0);
  }
}

/** A short account of a run's schedule, for progress lines. */
export function runLine(run: CampaignRun): string {
  return `${run.verdict.padEnd(9)} ${describeSchedule(run.schedule)}`;
}
