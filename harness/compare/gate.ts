// `pnpm bench:gate`: the CI benchmark gate. `check` gates a run against the base branch's history (the --baseline
// statistic of bench:compare), prints a plain table and appends the Markdown to a job summary; `save` adds a run to
// the history. The workflow's steps call this and nothing else. A function of its arguments (paths relative to the
// working directory), so the program's entry (scripts/bench-gate.ts) and its tests share it.
import { appendFileSync } from 'node:fs';
import { baselineAdvice } from './advice.js';
import { MIN_BASELINE_RUNS, compareWithBaseline, type BaselineOptions } from './baseline.js';
import { baselineChart, renderBaselineComparison } from './baseline-markdown.js';
import { CompareUsageError, readArgs, type CompareIo } from './cli.js';
import { DEFAULT_COMPARE } from './compare.js';
import { comparableRuns, machine, readHistory, saveToHistory } from './history.js';
import { renderBaselineText } from './text.js';
import { writeFileAtomic } from '../report/atomic.js';
import { BenchFileError, readBenchFile } from '../report/bench-read.js';

const USAGE = `Usage:
  pnpm bench:gate check --history <folder> <head.json> [--summary <file>] [--chart <file.svg>] [--runs 20]
  pnpm bench:gate save --history <folder> <head.json> [--keep 30]

check: gates the head run (its rounds' median P50 per variant) against the earlier runs in <folder> measured on the
same kind of machine (CPU model, cores, Node major), the newest --runs of them, as bench:compare --baseline does.
Prints a plain table, appends the comparison as Markdown to --summary (the job summary in CI), writes its ratio
chart as SVG to --chart (an artifact in CI: a job summary shows no SVG of the run), and exits 1 on a
regression, 0 otherwise (also with fewer than ${MIN_BASELINE_RUNS} earlier runs: not gated), 2 on bad input.
save: adds the head run to <folder> (its rounds to its commit's file) and keeps the newest --keep files.`;

function fail(message: string): never {
  throw new CompareUsageError(message);
}

const OPTIONS = {
  history: { type: 'string' },
  summary: { type: 'string' },
  chart: { type: 'string' },
  runs: { type: 'string', default: '20' },
  keep: { type: 'string', default: '30' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Runs the gate's command; returns the exit status (1 regression), throws CompareUsageError on bad input. */
export function benchGate(argv: string[], io: CompareIo): number {
  const parsed = readArgs(argv, OPTIONS, USAGE, io);
  if (!parsed) return 0;
  const { values: args, positionals } = parsed;
  const [command, headPath, ...extra] = positionals;
  if (command !== 'check' && command !== 'save')
    fail(`the first argument is check or save; got ${command === undefined ? 'nothing' : `"${command}"`}\n\n${USAGE}`);
  if (headPath === undefined || extra.length > 0)
    fail(`${command} takes one head run (a reports/bench/<commit>.json); got ${positionals.length - 1}\n\n${USAGE}`);
  const history = args.history;
  if (history === undefined) fail(`${command} needs --history <folder>`);
  const count = (name: 'runs' | 'keep'): number => {
    const raw = args[name];
    if (!/^[1-9]\d*$/.test(raw)) fail(`--${name} must be a whole number, at least 1; got "${raw}"`);
    return Number(raw);
  };

  try {
    const head = readBenchFile(headPath);
    if (command === 'save') {
      const { name, notes } = saveToHistory(history, head, count('keep'));
      for (const note of notes) io.out(`${note}\n`);
      io.out(`saved ${headPath} to ${history} as ${name}\n`);
      return 0;
    }
    const { used, skipped } = comparableRuns(readHistory(history), head, count('runs'));
    const options: BaselineOptions = { ...DEFAULT_COMPARE };
    const result = compareWithBaseline(
      used.map((r) => r.file),
      head,
      options,
    );
    const others = skipped.filter((s) => s.why !== 'the head itself');
    const found =
      `${history}: ${used.length} earlier run(s) on ${machine(head)}` +
      (others.length > 0 ? `; ${others.length} left out (${others.map((s) => `${s.path}: ${s.why}`).join('; ')})` : '');
    const advice = baselineAdvice(
      result,
      used.map((r) => ({ label: 'base', ...r })),
      { label: 'head', path: headPath, file: head },
      'pnpm bench:compare',
      'pnpm bench',
    );
    const text =
      result.rows.length > 0
        ? renderBaselineText(head, result, options, advice)
        : `Not gated: no earlier run to compare with (${MIN_BASELINE_RUNS} are needed; each push to the base branch adds one).\n`;
    io.out(`${found}\n\n${text}`);
    const chart = args.chart !== undefined && result.rows.length > 0 ? args.chart : undefined;
    if (chart !== undefined) writeFileAtomic(chart, baselineChart(head, result, options).svg);
    if (args.summary !== undefined)
      appendFileSync(
        args.summary,
        `${
          result.rows.length > 0
            ? renderBaselineComparison(
                used.map((r) => r.file),
                head,
                result,
                options,
                advice,
              )
            : `# Benchmark gate: \`${head.commit}\`\n\n${text}`
        }\n_${found}._${chart === undefined ? '' : ` The ratio chart is \`${chart}\` in the run's artifacts.`}\n\n`,
      );
    return result.rows.some((r) => r.verdict === 'regression') ? 1 : 0;
  } catch (error) {
    if (error instanceof BenchFileError) fail(error.message);
    throw error;
  }
}

/** The program: bad input printed with its name, exit status 2. */
export function gateProgram(argv: string[], program: string, io: CompareIo): number {
  try {
    return benchGate(argv, io);
  } catch (error) {
    if (!(error instanceof CompareUsageError)) throw error;
    io.err(`${program}: ${error.message}\n`);
    return 2;
  }
}
