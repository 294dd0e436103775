#!/usr/bin/env node
// `pnpm chaos` here, `agentos-chaos` in another project: reads and checks the whole request (scripts/run-request.ts),
// runs the selected declared tests and the campaign, and hands the results to the reporters.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CATEGORIES } from '../harness/load.js';
import { warmChartRenderer } from '../harness/report/charts/echarts.js';
import { environment } from '../harness/report/environment.js';
import { measureWorkerFloors } from '../harness/report/memory-floor.js';
import { DEFAULT_REPORTERS, reporters } from '../harness/report/reporters.js';
import type { ResultsFile } from '../harness/report/results-file.js';
import { isPeer } from '../harness/result.js';
import { summarizeRun } from '../harness/report/failures.js';
import { FULL_RUN_FILES, partialRun, reportFiles } from '../harness/report/partial-run.js';
import { loadReportSources } from '../harness/report/report-sources.js';
import { RunProgress } from '../harness/report/terminal/progress.js';
import { colorEnabled } from '../harness/report/terminal/style.js';
import { renderInterrupted, renderSummary } from '../harness/report/terminal/summary.js';
import { buildWorkers, mutantBuildDir } from '../harness/workers/build.js';
import { PROGRAM } from '../harness/program.js';
import { runCampaign, runLine, type CampaignReport } from '../harness/campaign/run.js';
import { MUTANTS } from '../src/mutants.js';
import { moreRoundRuns, plannedRuns, runDeclared } from '../harness/run/declared.js';
import { runKey } from '../harness/subject.js';
import { compareProgram } from '../harness/compare/cli.js';
import { commandArgs } from './commands.js';
import { UsageError, readRunRequest, shown, type RunRequest } from './run-request.js';

const parsedCommand = commandArgs(process.argv.slice(2));
if ('error' in parsedCommand) usageError(parsedCommand.error);
if (parsedCommand.command === 'compare') {
  process.exit(await compareProgram(parsedCommand.args, `${PROGRAM} compare`));
} else {
  let request;
  try {
    request = await readRunRequest(parsedCommand.args, process.cwd());
  } catch (error) {
    if (error instanceof UsageError) usageError(error.message);
    throw error;
  }
  if (request.kind === 'help') {
    console.log(request.text);
    process.exit(0);
  }
  await run(request);
}

function usageError(message: string): never {
  process.stderr.write(`${PROGRAM}: ${message}\n`);
  process.exit(2);
}

async function run(request: RunRequest): Promise<void> {
  const { project, declared, selected, only, seed, formats, subjects, loadedSubjects, pgUrl, mutant, replayed } =
    request;
  const { campaignOnly, campaignRuns, benchRounds } = request;
  // Ctrl-C (or SIGTERM): the test running now is stopped and its processes reaped; a second one exits at once. A repeat
  // within a second is the same Ctrl-C (the terminal signals the whole process group, and pnpm and tsx relay it too).
  const interrupt = new AbortController();
  let interruptedAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) {
      if (performance.now() - interruptedAt > 1000) process.exit(130);
      return;
    }
    interruptedAt = performance.now();
    process.stderr.write(`\n${signal}: stopping the current test and reaping its processes (again to exit at once)…\n`);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const runs = plannedRuns(selected, subjects.length);
  const plan = [
    selected.length > 0
      ? `${selected.length} declared test(s)${subjects.length > 1 || request.subjectsGiven ? ` on ${subjects.join(', ')} (${runs} runs)` : ''}`
      : '',
    campaignRuns > 0 ? `a campaign of ${campaignRuns} run(s)${mutant ? ` against the ${mutant} mutant` : ''}` : '',
  ];
  console.log(`${PROGRAM}: ${plan.filter(Boolean).join(' and ')}, seed ${seed} (replay with --seed ${seed})`);
  await buildWorkers();
  if (mutant) await buildWorkers({ mutant });
  const color = colorEnabled(process.stdout);
  const progress = new RunProgress(process.stdout, runs + moreRoundRuns(selected, benchRounds), {
    live: process.stdout.isTTY,
    color,
    now: () => performance.now(),
  });
  const run = await runDeclared(selected, {
    seed,
    signal: interrupt.signal,
    subjects: loadedSubjects,
    pgUrl,
    benchRounds,
    onStart: (d, i, subject, round) =>
      progress.start(
        `${d.category}/${runKey(d.id, subject)}${round ? ` (round ${round}/${benchRounds})` : ''}`,
        d.category === 'bench' ? d.benchmark.title : d.scenario.title,
        i,
      ),
    onProgress: (_id, message) => progress.note(message),
    onResult: (r, i) => progress.finish(r, i),
  });

  const campaign = campaignRuns > 0 && !run.interrupted ? await campaignRun() : undefined;
  const selection = {
    only,
    category: request.category ?? null,
    subjects,
    ...(campaignOnly ? { campaignOnly: true } : {}),
  };
  const files = reportFiles(selection);
  if (run.interrupted || campaign?.interrupted) {
    const previous = join(project.reportsDir, files.report);
    const stopped = progress.current ?? (campaign?.interrupted ? 'the campaign' : undefined);
    progress.close();
    process.stdout.write(
      renderInterrupted({
        stopped,
        finished: run.results.length,
        unfinished: run.missing.length,
        previousReport: existsSync(previous) ? shown(previous) : undefined,
      }),
    );
    process.exit(130);
  }

  const reportsDir = project.reportsDir;
  mkdirSync(reportsDir, { recursive: true });
  // The chart library is loaded only now (the run never holds it) and before the peak is taken, so the peak counts it.
  warmChartRenderer();
  const file: ResultsFile = {
    schema: 'agentos-chaos/results@1',
    generatedAt: new Date().toISOString(),
    seed,
    selection,
    declared: Object.fromEntries(CATEGORIES.map((c) => [c, declared.filter((d) => d.category === c).length])),
    environment: environment(project.root),
    durationMs: run.durationMs,
    harnessPeakRssKb: process.resourceUsage().maxRSS,
    workerFloorsKb: await measureWorkerFloors(),
    results: run.results,
    missing: run.missing,
    ...(campaign ? { campaign } : {}),
  };
  const written = [...DEFAULT_REPORTERS, ...formats].flatMap((name) =>
    reporters[name]({ file, reportsDir, declared, moreBenchRounds: run.moreBenchRounds }),
  );

  // A peer's failure is a finding about that peer, shown in the report; it never fails the run.
  const failed = run.results.filter((r) => r.state === 'failed' && !isPeer(r));
  const campaignFailed = campaign !== undefined && (campaign.violations.length > 0 || campaign.errors.length > 0);
  if (campaign) console.log(campaignSummary(campaign));
  // The last lines a person sees: the same as the top of the report.
  const ours = run.results.filter((r) => !isPeer(r));
  const peers = run.results.filter(isPeer);
  const partial = partialRun(selection);
  const summary = summarizeRun({ ...file, results: ours }, declared, loadReportSources(file, reportsDir).histories);
  process.stdout.write(
    renderSummary({
      summary,
      results: ours,
      durationMs: run.durationMs,
      seed,
      written: written.map((w) => shown(join(reportsDir, w))),
      ...(partial !== undefined ? { partial: { why: partial, kept: keptFullRun() } } : {}),
      color,
    }),
  );
  if (peers.length > 0) {
    const count = (state: string): number => peers.filter((r) => r.state === state).length;
    console.log(
      `Peers (reported, never failing the run): ${count('passed')} passed, ${count('failed')} with findings, ${count('not-applicable')} not applicable; see the subject matrix in ${shown(join(reportsDir, files.report))}`,
    );
  }
  const failedRounds = run.moreBenchRounds.flatMap((round, i) =>
    round.filter((r) => r.state === 'failed').map((r) => `${r.id} (round ${i + 2})`),
  );
  if (failedRounds.length > 0) console.log(`Benchmark rounds that failed: ${failedRounds.join(', ')}`);
  process.exit(failed.length > 0 || campaignFailed || failedRounds.length > 0 ? 1 : 0);

  /** The last full run's files a partial run left in place. */
  function keptFullRun(): string[] {
    return [FULL_RUN_FILES.report, FULL_RUN_FILES.html, FULL_RUN_FILES.results]
      .map((name) => join(reportsDir, name))
      .filter((path) => existsSync(path))
      .map(shown);
  }

  /** Runs the campaign (or the replayed schedule), printing progress every tenth run and each violation. */
  async function campaignRun(): Promise<CampaignReport> {
    console.log(`\ncampaign: ${campaignRuns} run(s)${mutant ? `, mutant ${mutant} (${MUTANTS[mutant]})` : ''}`);
    const campaignStarted = performance.now();
    return runCampaign({
      runs: campaignRuns,
      seed,
      ...(replayed ? { schedules: [replayed] } : {}),
      ...(mutant ? { mutant, buildDir: mutantBuildDir(mutant) } : {}),
      diskFull: process.platform === 'linux' && process.getuid?.() === 0,
      signal: interrupt.signal,
      onRun: (done, total, r, report) => {
        if (r.verdict !== 'valid' || done % 10 === 0 || done === total || replayed) {
          console.log(
            `  [${done}/${total}] ${runLine(r)}${r.verdict === 'valid' ? '' : `: ${r.reasons.slice(0, 2).join('; ')}`}  (${report.kills.total} kills, ${report.verdicts.violation} violation(s), ${((performance.now() - campaignStarted) / 1000).toFixed(0)} s)`,
          );
        }
      },
      onViolation: (v) => {
        console.log(`  ✗ violation: ${v.reasons.join('; ')}\n    repro: ${v.repro}`);
        if (v.shrunk) console.log(`    shrunk (${v.shrunk.attempts} runs): ${v.shrunk.repro}`);
      },
      onShrinkStep: (message) => console.log(`    shrinking: ${message}`),
    });
  }
}

/** The campaign's verdict in a few lines. */
function campaignSummary(c: CampaignReport): string {
  const atPoints = Object.entries(c.kills.byPoint)
    .filter(([p]) => !p.startsWith('kill -9'))
    .reduce((n, [, k]) => n + k, 0);
  const lines = [
    `campaign: ${c.runs} runs in ${(c.durationMs / 1000).toFixed(1)} s: ${c.kills.total} kills (${atPoints} at crash points), ${c.operations} operations checked; ` +
      `${c.verdicts.violation} violation(s), ${c.verdicts.vacuous} run(s) whose fault did not bite, ${c.verdicts.unknown} undecided, ${c.errors.length} harness error(s)`,
  ];
  for (const v of c.violations)
    lines.push(`  ✗ ${v.shrunk?.reasons[0] ?? v.reasons[0] ?? 'violation'}\n    repro: ${v.shrunk?.repro ?? v.repro}`);
  for (const e of c.errors) lines.push(`  ✗ could not judge: ${e.reasons[0] ?? ''}\n    repro: ${e.repro}`);
  return lines.join('\n');
}
