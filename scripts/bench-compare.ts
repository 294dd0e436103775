// `pnpm bench:compare`: compares two benchmark files, gates one run against earlier runs, or measures two commits.
import { parseArgs } from 'node:util';
import {
  DEFAULT_BASELINE,
  MIN_BASELINE_RUNS,
  compareWithBaseline,
  type BaselineOptions,
} from '../harness/compare/baseline.js';
import { baselineFiles } from '../harness/compare/baseline-files.js';
import { renderBaselineComparison } from '../harness/compare/baseline-markdown.js';
import {
  DEFAULT_COMPARE,
  MIN_GATE_ROUNDS,
  compareBenchFiles,
  type CompareOptions,
} from '../harness/compare/compare.js';
import { renderComparison } from '../harness/compare/markdown.js';
import { MeasureRefsError, measureRefs } from '../harness/compare/measure-refs.js';
import { writeFileAtomic } from '../harness/report/atomic.js';
import type { BenchFile } from '../harness/report/bench-file.js';
import { BenchFileError, readBenchFile } from '../harness/report/bench-read.js';
import { optionError } from '../harness/suggest.js';
import { findProject } from '../harness/project.js';

const USAGE = `Usage:
  pnpm bench:compare <base.json> <head.json> [options]
  pnpm bench:compare --baseline '<folder or glob of earlier runs>' <head.json> [options]
  pnpm bench:compare --refs <baseRef> <headRef> [--rounds 5] [options]

Prints a Markdown comparison and exits 1 on a regression, 2 on bad input.
Two files: ratio head/base with a bootstrap 95 % interval. A regression is gated only with at least ${MIN_GATE_ROUNDS}
rounds per side; files of one run each (what pnpm chaos writes) give indicative "possible" verdicts and never exit 1.
--baseline: the head run against the run-to-run noise of earlier runs (at least ${MIN_BASELINE_RUNS} files, say the base
branch's last CI runs): a t prediction bound per benchmark and statistic; with fewer runs it reports and exits 0.
--refs: both commits are checked out in temporary git worktrees, installed, and their benchmarks run alternately
(A B A B …) in fresh processes on this machine.

Options:
  --threshold-p50 <T>      a regression must exceed 1 + T (default ${DEFAULT_COMPARE.thresholdP50}; for two files, the CI's lower bound)
  --threshold-p99 <T>      the same for P99 (default ${DEFAULT_COMPARE.thresholdP99})
  --min-p99-samples <n>    gate P99 only with at least n samples per round (default ${DEFAULT_COMPARE.minP99Samples})
  --false-alarm-rate <p>   --baseline: chance an unchanged run fails, split over its comparisons (default ${DEFAULT_BASELINE.falseAlarmRate})
  --gate-p99               --baseline: gate P99 too (one run's P99 is usually too noisy to gate)
  --rounds <n>             rounds per commit with --refs (default 5, at least 5)
  --output <file>          also write the Markdown to <file>
  -h, --help`;

function fail(message: string): never {
  process.stderr.write(`pnpm bench:compare: ${message}\n`);
  process.exit(2);
}

const OPTIONS = {
  refs: { type: 'boolean', default: false },
  baseline: { type: 'string' },
  rounds: { type: 'string', default: '5' },
  'threshold-p50': { type: 'string' },
  'threshold-p99': { type: 'string' },
  'min-p99-samples': { type: 'string' },
  'false-alarm-rate': { type: 'string' },
  'gate-p99': { type: 'boolean', default: false },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: OPTIONS });
} catch (error) {
  fail(`${optionError(error, Object.keys(OPTIONS))}\n\n${USAGE}`);
}
const { values: args, positionals } = parsed;
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
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
const thresholds = {
  thresholdP50: number('threshold-p50', args['threshold-p50'], DEFAULT_COMPARE.thresholdP50),
  thresholdP99: number('threshold-p99', args['threshold-p99'], DEFAULT_COMPARE.thresholdP99),
  minP99Samples: number('min-p99-samples', args['min-p99-samples'], DEFAULT_COMPARE.minP99Samples, true),
};
const falseAlarmRate = number('false-alarm-rate', args['false-alarm-rate'], DEFAULT_BASELINE.falseAlarmRate);
if (falseAlarmRate <= 0 || falseAlarmRate >= 1)
  fail(`--false-alarm-rate must lie strictly between 0 and 1 (0.01 = 1 %); got "${args['false-alarm-rate']}"`);
const rounds = number('rounds', args.rounds, 5, true);
if (args.refs && rounds < MIN_GATE_ROUNDS)
  fail(`--rounds must be at least ${MIN_GATE_ROUNDS} for a decision; got ${rounds}`);

/** Prints the Markdown (and writes --output), then exits 1 on a regression. */
function finish(markdown: string, regression: boolean): never {
  console.log(markdown);
  if (args.output) writeFileAtomic(args.output, markdown);
  process.exit(regression ? 1 : 0);
}

try {
  if (args.baseline !== undefined) {
    const headPath = positionals[0]!;
    const paths = baselineFiles(args.baseline, headPath);
    if (paths.length === 0)
      fail(
        `--baseline "${args.baseline}" matches no benchmark file (give a folder of earlier runs' JSON files, or a glob)`,
      );
    const head = readBenchFile(headPath);
    const baseline = paths.map(readBenchFile);
    const options: BaselineOptions = { ...thresholds, falseAlarmRate, gateP99: args['gate-p99'] };
    const result = compareWithBaseline(baseline, head, options);
    if (result.rows.length === 0)
      fail(`${headPath} has no benchmark in common with the ${paths.length} earlier run(s)`);
    finish(
      renderBaselineComparison(baseline, head, result, options),
      result.rows.some((r) => r.verdict === 'regression'),
    );
  }
  const options: CompareOptions = { ...DEFAULT_COMPARE, ...thresholds };
  let base: BenchFile;
  let head: BenchFile;
  if (args.refs)
    [base, head] = await measureRefs((await findProject()).root, [positionals[0]!, positionals[1]!], rounds, (line) =>
      process.stderr.write(`${line}\n`),
    );
  else [base, head] = [readBenchFile(positionals[0]!), readBenchFile(positionals[1]!)];
  const rows = compareBenchFiles(base, head, options);
  if (rows.length === 0) fail('the two files have no benchmark in common');
  finish(
    renderComparison(base, head, rows, options),
    rows.some((r) => r.verdict === 'regression'),
  );
} catch (error) {
  if (error instanceof BenchFileError || error instanceof MeasureRefsError) fail(error.message);
  throw error;
}
