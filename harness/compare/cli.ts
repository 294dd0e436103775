// `pnpm bench:compare` (`agentos-chaos compare`): compares two benchmark files, gates one run against earlier runs, or
// measures two commits. A function of its arguments, so the program's entry (scripts/bench-compare.ts) and its tests
// share it: it returns the exit status and writes through `io`.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { baselineAdvice, roundsAdvice } from './advice.js';
import { MIN_BASELINE_RUNS, compareWithBaseline, type BaselineOptions } from './baseline.js';
import { baselineFiles } from './baseline-files.js';
import { baselineChart, renderBaselineComparison } from './baseline-markdown.js';
import { DEFAULT_COMPARE, MIN_GATE_ROUNDS, compareBenchFiles, type CompareOptions } from './compare.js';
import { comparisonChart, renderComparison } from './markdown.js';
import { MeasureRefsError, measureRefs } from './measure-refs.js';
import { renderBaselineText, renderComparisonText } from './text.js';
import { basename } from 'node:path';
import { writeFileAtomic } from '../report/atomic.js';
import type { Chart } from '../report/charts/echarts.js';
import type { BenchFile } from '../report/bench-file.js';
import { BenchFileError, readBenchFile } from '../report/bench-read.js';
import { codeState } from '../report/environment.js';
import { optionError } from '../suggest.js';
import { findProject } from '../project.js';
import { COMPILED } from '../workers/build.js';

const USAGE = `Usage:
  pnpm bench:compare <base.json> <head.json> [options]
  pnpm bench:compare --baseline '<folder or glob of earlier runs>' <head.json> [options]
  pnpm bench:compare --refs <baseRef> <headRef> [--rounds 5] [--only <id,...>] [options]

Prints a plain table and exits 1 on a regression, 2 on bad input (--output also writes it as Markdown, with an SVG chart).
Two files: per variant, head ÷ base of the rounds' P50 with a t bound from the round-to-round spread. It decides
with at least ${MIN_GATE_ROUNDS} rounds a side (pnpm bench adds a round to its commit's file; --rounds n adds n); with
fewer it says how many more each side needs and the command that adds them, and exits 0.
--baseline: the head run against the run-to-run noise of earlier runs (at least ${MIN_BASELINE_RUNS} files, say the base
branch's last CI runs): a t prediction bound per benchmark; with fewer runs it reports and exits 0.
--refs: both commits are checked out in temporary git worktrees, installed, and their benchmarks run alternately
(A B A B …) in fresh processes on this machine, then compared as two files.

Options:
  --threshold-p50 <T>      a regression must exceed 1 + T times the base (default ${DEFAULT_COMPARE.thresholdP50})
  --threshold-p99 <T>      the same for P99 (default ${DEFAULT_COMPARE.thresholdP99})
  --min-p99-samples <n>    gate P99 only with at least n samples per round (default ${DEFAULT_COMPARE.minP99Samples})
  --false-alarm-rate <p>   chance that unchanged code fails, split over the comparisons (default ${DEFAULT_COMPARE.falseAlarmRate})
  --gate-p99               gate P99 too (a round's P99 is usually too noisy to gate)
  --only <id,...>          compare (with --refs: run) only these benchmarks, e.g. checkpoint-creation
  --rounds <n>             rounds per commit with --refs (default 5, at least ${MIN_GATE_ROUNDS})
  --output <file>          also write the comparison as Markdown to <file> and its chart to <file without .md>.svg
  -h, --help`;

/** Bad input: printed with the program's name, exit status 2. */
export class CompareUsageError extends Error {}

function fail(message: string): never {
  throw new CompareUsageError(message);
}

/**
 * A program's arguments read against `options` (positionals allowed), or undefined once --help has printed `usage`;
 * an unknown or malformed option is a CompareUsageError that names the valid ones.
 */
export function readArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  usage: string,
  io: CompareIo,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: O }>> | undefined {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options });
  } catch (error) {
    fail(`${optionError(error, Object.keys(options))}\n\n${usage}`);
  }
  const values: Record<string, unknown> = parsed.values;
  if (values.help === true) {
    io.out(`${usage}\n`);
    return undefined;
  }
  return parsed;
}

const OPTIONS = {
  refs: { type: 'boolean', default: false },
  baseline: { type: 'string' },
  rounds: { type: 'string', default: '5' },
  only: { type: 'string' },
  'threshold-p50': { type: 'string' },
  'threshold-p99': { type: 'string' },
  'min-p99-samples': { type: 'string' },
  'false-alarm-rate': { type: 'string' },
  'gate-p99': { type: 'boolean', default: false },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Where the program's output goes (the process's stdout and stderr in the program). */
export interface CompareIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Runs the comparison the arguments ask for; resolves to the exit status (1 regression), throws CompareUsageError. */
export async function benchCompare(argv: string[], io: CompareIo): Promise<number> {
  const parsed = readArgs(argv, OPTIONS, USAGE, io);
  if (!parsed) return 0;
  const { values: args, positionals } = parsed;
  if (args.baseline !== undefined && args.refs) fail('--baseline and --refs are two different modes; give one');
  const wanted = args.baseline !== undefined ? 1 : 2;
  if (positionals.length !== wanted) {
    fail(
      `expected ${wanted === 1 ? 'one argument (the head run) with --baseline' : 'two arguments (base and head)'}, got ${positionals.length}\n\n${USAGE}`,
    );
  }

  function number(name: string, raw: string | undefined, fallback: number, integer = false): number {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
      fail(`--${name} must be a non-negative ${integer ? 'integer' : 'number'}; got "${raw}"`);
    return n;
  }
  const falseAlarmRate = number('false-alarm-rate', args['false-alarm-rate'], DEFAULT_COMPARE.falseAlarmRate);
  if (falseAlarmRate <= 0 || falseAlarmRate >= 1)
    fail(`--false-alarm-rate must lie strictly between 0 and 1 (0.01 = 1 %); got "${args['false-alarm-rate']}"`);
  const options: CompareOptions & BaselineOptions = {
    thresholdP50: number('threshold-p50', args['threshold-p50'], DEFAULT_COMPARE.thresholdP50),
    thresholdP99: number('threshold-p99', args['threshold-p99'], DEFAULT_COMPARE.thresholdP99),
    minP99Samples: number('min-p99-samples', args['min-p99-samples'], DEFAULT_COMPARE.minP99Samples, true),
    falseAlarmRate,
    gateP99: args['gate-p99'],
  };
  const rounds = number('rounds', args.rounds, 5, true);
  if (args.refs && rounds < MIN_GATE_ROUNDS)
    fail(`--rounds must be at least ${MIN_GATE_ROUNDS} for a decision; got ${rounds}`);
  if (args.only !== undefined && args.only.trim() === '') fail('--only needs at least one benchmark id');
  const only = args.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  /** The benchmark command this program's user runs to add rounds. */
  const BENCH = COMPILED ? 'agentos-chaos bench' : 'pnpm bench';
  const COMPARE = COMPILED ? 'agentos-chaos compare' : 'pnpm bench:compare';

  /** The files' benchmarks restricted to --only; an id in --only that no file has is an error naming the ids there are. */
  function selected(files: { path: string; file: BenchFile }[]): BenchFile[] {
    if (!only) return files.map((f) => f.file);
    const known = new Set(files.flatMap((f) => f.file.benchmarks.map((b) => b.benchmark)));
    const unknown = only.filter((id) => !known.has(id));
    if (unknown.length > 0)
      fail(
        `--only: no benchmark ${unknown.map((id) => `"${id}"`).join(', ')} in ${files.map((f) => f.path).join(', ')}; they have ${[...known].join(', ')}`,
      );
    return files.map(({ file }) => ({
      ...file,
      benchmarks: file.benchmarks.filter((b) => only.includes(b.benchmark)),
    }));
  }

  /** --output's chart: beside the Markdown, with its name and .svg. */
  const chartPath = (output: string): string => `${output.replace(/\.md$/, '')}.svg`;

  /**
   * Prints the plain table; with --output writes the ratio chart as SVG and the Markdown that links it (chart first, so
   * the Markdown never links a missing file); then exits 1 on a regression.
   */
  function finish(text: string, markdown: (chartFile: string) => string, chart: Chart, regression: boolean): number {
    io.out(text);
    if (args.output) {
      writeFileAtomic(chartPath(args.output), chart.svg);
      writeFileAtomic(args.output, markdown(basename(chartPath(args.output))));
    }
    return regression ? 1 : 0;
  }

  try {
    const root = (await findProject()).root;
    if (args.baseline !== undefined) {
      const headPath = positionals[0]!;
      const paths = baselineFiles(args.baseline, headPath);
      if (paths.length === 0)
        fail(
          `--baseline "${args.baseline}" matches no benchmark file (give a folder of earlier runs' JSON files, or a glob)`,
        );
      const read = [headPath, ...paths].map((path) => ({ path, file: readBenchFile(path) }));
      const [head, ...baseline] = selected(read);
      const result = compareWithBaseline(baseline, head!, options);
      if (result.rows.length === 0)
        fail(`${headPath} has no benchmark in common with the ${paths.length} earlier run(s)`);
      const sides = read.map((r, i) => ({
        label: 'base' as const,
        path: r.path,
        file: i === 0 ? head! : baseline[i - 1]!,
      }));
      const advice = baselineAdvice(result, sides.slice(1), { ...sides[0]!, label: 'head' }, COMPARE, BENCH);
      return finish(
        renderBaselineText(head!, result, options, advice),
        (chartFile) => renderBaselineComparison(baseline, head!, result, options, advice, chartFile),
        baselineChart(head!, result, options),
        result.rows.some((r) => r.verdict === 'regression'),
      );
    }
    let read: [{ path: string; file: BenchFile }, { path: string; file: BenchFile }];
    if (args.refs) {
      const [base, head] = await measureRefs(root, [positionals[0]!, positionals[1]!], rounds, only, (line) =>
        io.err(`${line}\n`),
      );
      read = [
        { path: positionals[0]!, file: base },
        { path: positionals[1]!, file: head },
      ];
    } else
      read = [
        { path: positionals[0]!, file: readBenchFile(positionals[0]!) },
        { path: positionals[1]!, file: readBenchFile(positionals[1]!) },
      ];
    const [base, head] = selected(read) as [BenchFile, BenchFile];
    const result = compareBenchFiles(base, head, options);
    if (result.rows.length === 0) fail('the two files have no benchmark in common');
    const advice = args.refs
      ? []
      : roundsAdvice(
          result,
          [
            { label: 'base', path: read[0].path, file: base },
            { label: 'head', path: read[1].path, file: head },
          ],
          codeState(root),
          BENCH,
        );
    return finish(
      renderComparisonText(base, head, result, options, advice),
      (chartFile) => renderComparison(base, head, result, options, advice, chartFile),
      comparisonChart(base, head, result, options),
      result.rows.some((r) => r.verdict === 'regression'),
    );
  } catch (error) {
    if (error instanceof BenchFileError || error instanceof MeasureRefsError) fail(error.message);
    throw error;
  }
}

/** The process's stdout and stderr. */
const PROCESS_IO: CompareIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The comparison as a program: resolves to its exit status, bad input printed with the program's name (exit 2). */
export async function compareProgram(argv: string[], program: string, io = PROCESS_IO): Promise<number> {
  try {
    return await benchCompare(argv, io);
  } catch (error) {
    if (!(error instanceof CompareUsageError)) throw error;
    io.err(`${program}: ${error.message}\n`);
    return 2;
  }
}
