#!/usr/bin/env node
// `pnpm chaos` here, `agentos-chaos` in another project: loads and validates every declaration and subject once, runs
// the selected ones, and hands the results to the reporters.
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CATEGORIES, DeclarationError, loadScenarios, type Category } from '../harness/load.js';
import { environment } from '../harness/report/environment.js';
import { benchTargetProblem, declaredBenchOptions } from '../harness/report/bench-store.js';
import { DEFAULT_REPORTERS, REPORTER_NAMES, reporters, type ReporterName } from '../harness/report/reporters.js';
import type { ResultsFile } from '../harness/report/results-file.js';
import { isPeer } from '../harness/result.js';
import { summarizeRun } from '../harness/report/failures.js';
import { FULL_RUN_FILES, partialRun, reportFiles } from '../harness/report/partial-run.js';
import { loadReportSources } from '../harness/report/report-sources.js';
import { RunProgress } from '../harness/report/terminal/progress.js';
import { colorEnabled } from '../harness/report/terminal/style.js';
import { renderInterrupted, renderSummary } from '../harness/report/terminal/summary.js';
import { closest, didYouMean, optionError } from '../harness/suggest.js';
import { buildWorkers, mutantBuildDir } from '../harness/workers/build.js';
import { PROGRAM } from '../harness/program.js';
import { runCampaign, runLine, type CampaignReport } from '../harness/campaign/run.js';
import { parseSchedule } from '../harness/campaign/replay.js';
import type { Schedule } from '../harness/campaign/schedule.js';
import { MUTANTS, type Mutant } from '../src/mutants.js';
import { moreRoundRuns, plannedRuns, runDeclared } from '../harness/run/declared.js';
import { DEFAULT_PG_URL, pgUnreachable, pgUrl as pgUrlFor } from '../harness/postgres/pg-server.js';
import { DEFAULT_SUBJECT, runKey } from '../harness/subject.js';
import { SubjectError, loadSubjects, type SubjectCatalog } from '../harness/load-subjects.js';
import { ConfigError, findProject, useProject } from '../harness/project.js';
import { useTypeScript } from '../harness/typescript.js';
import { COMMANDS, commandArgs } from './commands.js';

const EXTRA_FORMATS = REPORTER_NAMES.filter((n) => !DEFAULT_REPORTERS.includes(n));
/** Runs of the short campaign a plain `pnpm chaos` ends with. */
const DEFAULT_CAMPAIGN_RUNS = 30;

const usage = (catalog: SubjectCatalog | undefined): string => `Usage: ${PROGRAM} [${COMMANDS.join(' | ')}] [options]

Runs the declared chaos scenarios, benchmarks and stress tests and writes reports/acceptance.md,
reports/results.json and, when benchmarks ran, reports/bench/<commit>.json. A partial run (--only, --category,
--campaign, --replay) writes reports/partial.md and
reports/partial-results.json instead, and leaves the last full run's two files as they were. In another project it
runs that project's scenarios/ against the subjects in its subjects/ and the package's own (or the folders its
chaos.config.ts names), and writes that project's reports/.

Commands (each the same as its options): run (the default) | list (--list) | bench (--category bench) |
campaign <runs> (--campaign <runs>) | replay '<schedule>' (--replay) | compare (the benchmark comparison:
${PROGRAM} compare --help)

Options:
  --only <id,...>        run only these declared tests (see --list)
  --category <name>      run one category: ${CATEGORIES.join(' | ')}
  --seed <n>             replay a run with this seed (printed at the start of every run)
  --list                 list the declared tests and exit
  --format <name,...>    also export the benchmarks as: ${EXTRA_FORMATS.join(' | ')}
  --rounds <n>           run the selected benchmarks n times (default 1): each time is one more round in
                         reports/bench/<commit>.json (<commit>-dirty-<diff>.json for uncommitted changes)
  --subject <name,...>   run the scenarios against these systems, each in turn (default ${DEFAULT_SUBJECT}):
${(catalog?.list() ?? []).map((s) => `                           ${s.name.padEnd(19)} ${s.summary}`).join('\n')}
                         a scenario a subject cannot run is shown "not applicable"; a peer's
                         (langgraph-*, any subject declared peer) failures are findings and never fail the run
  --pg-url <url>         the PostgreSQL server of the postgres subjects (default: the PG* variables,
                         else ${DEFAULT_PG_URL}); each run uses a fresh schema and drops it
  --campaign <runs>      run only a randomized fault campaign of this many runs (a plain \`pnpm chaos\`
                         runs ${DEFAULT_CAMPAIGN_RUNS} after the declared tests, on ${DEFAULT_SUBJECT}; --only or
                         --category run none)
  --replay '<schedule>'  run one campaign schedule, as printed in a violation's repro line
  --builtin              also run the scenarios shipped with the package (in another project)
  --mutant <name>        with --campaign or --replay: run a deliberately broken layer to show the
                         checkers catch it: ${Object.keys(MUTANTS).join(' | ')}
  -h, --help             show this help

Exit status: 0 when every gate passed, 1 when a test failed, 2 for bad input (nothing is run
and the previous report is left as it was), 130 when interrupted (likewise).`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${PROGRAM}: ${message}\n`);
  process.exit(code);
}

const OPTIONS = {
  only: { type: 'string' },
  category: { type: 'string' },
  seed: { type: 'string' },
  list: { type: 'boolean', default: false },
  format: { type: 'string' },
  campaign: { type: 'string' },
  replay: { type: 'string' },
  mutant: { type: 'string' },
  subject: { type: 'string' },
  'pg-url': { type: 'string' },
  rounds: { type: 'string' },
  builtin: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const parsedCommand = commandArgs(process.argv.slice(2));
if ('error' in parsedCommand) fail(parsedCommand.error);
if (parsedCommand.command === 'compare') {
  // The benchmark comparison is a program of its own; it reads its options from process.argv.
  process.argv.splice(2, process.argv.length - 2, ...parsedCommand.args);
  await import('./bench-compare.js');
} else await main(parsedCommand.args);

async function main(argv: string[]): Promise<void> {
  // Declarations and subjects may be TypeScript files of another project.
  await useTypeScript();
  let args;
  try {
    args = parseArgs({ args: argv, options: OPTIONS, strict: true }).values;
  } catch (error) {
    fail(`${optionError(error, Object.keys(OPTIONS))}\n\n${usage(undefined)}`);
  }

  let project;
  let catalog;
  try {
    project = await findProject(process.cwd(), { builtin: args.builtin });
    catalog = await loadSubjects(project.subjectDirs);
  } catch (error) {
    if (error instanceof SubjectError || error instanceof ConfigError) fail(`${error.message}\nNothing was run.`);
    throw error;
  }
  useProject(project);
  if (args.help) {
    console.log(usage(catalog));
    process.exit(0);
  }
  if (project.scenarioDirs.length === 0)
    fail(
      `no scenarios in ${join(project.root, 'scenarios')}: add declarations there (scenarios/chaos/*.ts, …), name their folders in chaos.config.ts, or run the package's own with --builtin`,
    );

  let declared;
  try {
    declared = await loadScenarios(project.scenarioDirs);
  } catch (error) {
    if (error instanceof DeclarationError) fail(`${error.message}\nNothing was run.`);
    throw error;
  }

  if (args.category !== undefined && !CATEGORIES.includes(args.category as Category)) {
    fail(
      `--category must be one of ${CATEGORIES.join(', ')}; got "${args.category}"${didYouMean(args.category, CATEGORIES)}`,
    );
  }
  const ids = declared.map((d) => d.id);
  if (args.only !== undefined && args.only.trim() === '') fail('--only needs at least one id (see --list)');
  const only = args.only
    ? args.only
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : null;
  const unknown = only?.filter((id) => !ids.includes(id)) ?? [];
  const near = (id: string): string => closest(id, ids) ?? '';
  if (unknown.length > 0)
    fail(
      `--only: unknown id(s) ${unknown.map((id) => (near(id) ? `${id} (did you mean ${near(id)}?)` : id)).join(', ')}; declared: ${ids.join(', ')}`,
    );
  if (args.seed !== undefined && (!/^\d+$/.test(args.seed) || Number(args.seed) > 2 ** 32 - 1))
    fail(`--seed must be an integer from 0 to ${2 ** 32 - 1}; got "${args.seed}"`);
  const formats = (args.format ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const badFormat = formats.find((f) => !REPORTER_NAMES.includes(f as ReporterName));
  if (badFormat !== undefined)
    fail(
      `--format must be one of ${EXTRA_FORMATS.join(', ')} (comma-separated); got "${badFormat}"${didYouMean(badFormat, EXTRA_FORMATS)}`,
    );
  const seed = args.seed !== undefined ? Number(args.seed) : randomInt(1, 2 ** 31 - 1);
  if (args.campaign !== undefined && !/^\d+$/.test(args.campaign))
    fail(`--campaign must be a number of runs; got "${args.campaign}"`);
  if (args.mutant !== undefined && !(args.mutant in MUTANTS))
    fail(
      `--mutant must be one of ${Object.keys(MUTANTS).join(', ')}; got "${args.mutant}"${didYouMean(args.mutant, Object.keys(MUTANTS))}`,
    );
  if (args.mutant !== undefined && args.campaign === undefined && args.replay === undefined)
    fail('--mutant needs --campaign or --replay');
  // A campaign or a replay runs no declared test: a selection given with one would be silently ignored.
  if (args.campaign !== undefined && args.replay !== undefined)
    fail('--campaign and --replay cannot be combined: a replay runs one schedule');
  if (
    (args.campaign !== undefined || args.replay !== undefined) &&
    (args.only !== undefined || args.category !== undefined)
  )
    fail(
      `${args.replay !== undefined ? '--replay' : '--campaign'} runs no declared test: drop --only / --category, or run them separately`,
    );
  let replayed: Schedule | undefined;
  try {
    replayed = args.replay === undefined ? undefined : parseSchedule(args.replay);
  } catch (error) {
    fail(`--replay: ${error instanceof Error ? error.message : String(error)}`);
  }
  const subjectList = (args.subject ?? catalog.defaultName)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const badSubject = subjectList.find((n) => !catalog.has(n));
  if (badSubject !== undefined || subjectList.length === 0)
    fail(
      `--subject must be one or more of ${catalog.names.join(', ')} (comma-separated); got "${badSubject ?? ''}"${didYouMean(badSubject ?? '', catalog.names)}`,
    );
  const subjects = [...new Set(subjectList)];
  const loadedSubjects = subjects.map((n) => catalog.get(n));
  if (!subjects.includes(DEFAULT_SUBJECT) && (args.campaign !== undefined || args.replay !== undefined))
    fail(`the campaign runs on ${DEFAULT_SUBJECT} only: add it to --subject, or run the campaign separately`);
  const pgUrl = pgUrlFor(args['pg-url']);
  if (loadedSubjects.some((s) => s.definition.server === 'postgres')) {
    const why = await pgUnreachable(pgUrl);
    if (why)
      fail(
        `${why}\nStart the server, or point --pg-url (or PGHOST, PGPORT, PGUSER, PGDATABASE) at one. Nothing was run.`,
      );
  }
  const mutant = args.mutant as Mutant | undefined;
  const campaignOnly = args.campaign !== undefined || replayed !== undefined;
  const campaignRuns = replayed
    ? 1
    : args.campaign !== undefined
      ? Number(args.campaign)
      : only || args.category || !subjects.includes(DEFAULT_SUBJECT)
        ? 0
        : DEFAULT_CAMPAIGN_RUNS;

  const selected = campaignOnly
    ? []
    : declared.filter((d) => (!only || only.includes(d.id)) && (!args.category || d.category === args.category));
  if (args.list) {
    for (const d of declared)
      console.log(
        `${d.category.padEnd(7)} ${d.id.padEnd(28)} ${d.category === 'bench' ? d.benchmark.title : d.scenario.title}  (${d.file})`,
      );
    process.exit(0);
  }
  if (selected.length === 0 && campaignRuns === 0) fail('the selection matches no declared test');
  // --rounds: more rounds of the benchmarks, added to the file of this state of the code (checked before anything runs).
  if (args.rounds !== undefined && !/^[1-9]\d*$/.test(args.rounds))
    fail(`--rounds must be a whole number of rounds, at least 1; got "${args.rounds}"`);
  const benchRounds = Number(args.rounds ?? 1);
  const benchOptions = declaredBenchOptions(selected);
  if (benchRounds > 1 && benchOptions.size === 0)
    fail('--rounds repeats benchmarks, and the selection has none (pnpm bench, or --only <benchmark id>)');
  const benchProblem =
    benchOptions.size > 0
      ? benchTargetProblem(project.reportsDir, environment(project.root), benchOptions, shown)
      : undefined;
  if (benchProblem !== undefined) fail(`${benchProblem}\nNothing was run.`);

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
      ? `${selected.length} declared test(s)${subjects.length > 1 || args.subject !== undefined ? ` on ${subjects.join(', ')} (${runs} runs)` : ''}`
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
    category: args.category ?? null,
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
  const file: ResultsFile = {
    schema: 'agentos-chaos/results@1',
    generatedAt: new Date().toISOString(),
    seed,
    selection,
    declared: Object.fromEntries(CATEGORIES.map((c) => [c, declared.filter((d) => d.category === c).length])),
    environment: environment(project.root),
    durationMs: run.durationMs,
    harnessPeakRssKb: process.resourceUsage().maxRSS,
    results: run.results,
    missing: run.missing,
    ...(campaign ? { campaign } : {}),
  };
  const written = [...DEFAULT_REPORTERS, ...(formats as ReporterName[])].flatMap((name) =>
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

  /** A path as the person who started the command would type it: relative to where they are. */
  function shown(path: string): string {
    return relative(process.cwd(), path) || path;
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
