// What `pnpm chaos` (`agentos-chaos`) is asked to do, read from its options and checked in full before anything runs:
// bad input is a UsageError naming the option, the value and what is valid, and nothing is run or written.
import { randomInt } from 'node:crypto';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CATEGORIES, DeclarationError, loadScenarios, type Category, type LoadedScenario } from '../harness/load.js';
import { environment } from '../harness/report/environment.js';
import { benchTargetProblem, declaredBenchOptions } from '../harness/report/bench-store.js';
import { DEFAULT_REPORTERS, REPORTER_NAMES, type ReporterName } from '../harness/report/reporters.js';
import { closest, didYouMean, optionError } from '../harness/suggest.js';
import { PROGRAM } from '../harness/program.js';
import { parseSchedule } from '../harness/campaign/replay.js';
import type { Schedule } from '../harness/campaign/schedule.js';
import { MUTANTS, type Mutant } from '../src/mutants.js';
import { DEFAULT_PG_URL, pgUnreachable, pgUrl as pgUrlFor } from '../harness/postgres/pg-server.js';
import { DEFAULT_SUBJECT } from '../harness/subject.js';
import { SubjectError, loadSubjects, type LoadedSubject, type SubjectCatalog } from '../harness/load-subjects.js';
import { ConfigError, findProject, useProject, type Project } from '../harness/project.js';
import { useTypeScript } from '../harness/typescript.js';
import { COMMANDS } from './commands.js';

const EXTRA_FORMATS = REPORTER_NAMES.filter((n) => !DEFAULT_REPORTERS.includes(n));
/** Runs of the short campaign a plain `pnpm chaos` ends with. */
const DEFAULT_CAMPAIGN_RUNS = 30;

/** Bad input: printed with the program's name, exit status 2, and nothing run. */
export class UsageError extends Error {}

function fail(message: string): never {
  throw new UsageError(message);
}

/** A run, checked: every option valid, every id, subject and server known and reachable. */
export interface RunRequest {
  kind: 'run';
  project: Project;
  declared: LoadedScenario[];
  selected: LoadedScenario[];
  only: string[] | null;
  category: string | undefined;
  seed: number;
  formats: ReporterName[];
  subjects: string[];
  loadedSubjects: LoadedSubject[];
  /** Whether --subject was given (the plan line then names the subjects). */
  subjectsGiven: boolean;
  pgUrl: string;
  mutant: Mutant | undefined;
  replayed: Schedule | undefined;
  campaignOnly: boolean;
  campaignRuns: number;
  benchRounds: number;
}

/** --help or --list: text to print, exit status 0. */
export interface TextRequest {
  kind: 'help';
  text: string;
}

/** A path as the person who started the command would type it: relative to where they are. */
export function shown(path: string): string {
  return relative(process.cwd(), path) || path;
}

export const usage = (
  catalog: SubjectCatalog | undefined,
): string => `Usage: ${PROGRAM} [${COMMANDS.join(' | ')}] [options]

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

/** Reads the options of a run (after the command, see commandArgs) in the project found from `cwd`. */
export async function readRunRequest(argv: string[], cwd: string): Promise<RunRequest | TextRequest> {
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
    project = await findProject(cwd, { builtin: args.builtin });
    catalog = await loadSubjects(project.subjectDirs);
  } catch (error) {
    if (error instanceof SubjectError || error instanceof ConfigError) fail(`${error.message}\nNothing was run.`);
    throw error;
  }
  useProject(project);
  if (args.help) return { kind: 'help', text: usage(catalog) };
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
  if (args.list)
    return {
      kind: 'help',
      text: declared
        .map(
          (d) =>
            `${d.category.padEnd(7)} ${d.id.padEnd(28)} ${d.category === 'bench' ? d.benchmark.title : d.scenario.title}  (${d.file})`,
        )
        .join('\n'),
    };
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

  return {
    kind: 'run',
    project,
    declared,
    selected,
    only,
    category: args.category,
    seed,
    formats: formats as ReporterName[],
    subjects,
    loadedSubjects,
    subjectsGiven: args.subject !== undefined,
    pgUrl,
    mutant,
    replayed,
    campaignOnly,
    campaignRuns,
    benchRounds,
  };
}
