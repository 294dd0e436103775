// `pnpm bench:compare`: compares benchmark files, or two commits measured alternately on this machine.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { DEFAULT_COMPARE, MIN_GATE_ROUNDS, compareBenchFiles, type CompareOptions } from '../harness/compare/compare.js';
import { renderComparison } from '../harness/compare/markdown.js';
import { writeFileAtomic } from '../harness/report/atomic.js';
import { mergeRounds, type BenchFile } from '../harness/report/bench-file.js';
import { ROOT } from '../harness/workers/build.js';

const USAGE = `Usage:
  pnpm bench:compare <base.json> <head.json> [options]
  pnpm bench:compare --refs <baseRef> <headRef> [--rounds 5] [options]

Prints a Markdown comparison (base, head, ratio, bootstrap 95 % interval, verdict) and exits 1 on a regression.
A regression is gated only with at least ${MIN_GATE_ROUNDS} rounds per side (--refs runs them); files of one run each
(what pnpm chaos writes) give indicative "possible" verdicts and never exit 1.
With --refs, both commits are checked out in temporary git worktrees, installed, and their benchmarks run
alternately (A B A B …) in fresh processes on this machine.

Options:
  --threshold-p50 <T>     regression when the CI's lower bound exceeds 1 + T (default ${DEFAULT_COMPARE.thresholdP50})
  --threshold-p99 <T>     the same for P99 (default ${DEFAULT_COMPARE.thresholdP99})
  --min-p99-samples <n>   gate P99 only with at least n samples per round (default ${DEFAULT_COMPARE.minP99Samples})
  --rounds <n>            rounds per commit with --refs (default 5, at least 5)
  --output <file>         also write the Markdown to <file>
  -h, --help`;

function fail(message: string): never {
  process.stderr.write(`pnpm bench:compare: ${message}\n`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      refs: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '5' },
      'threshold-p50': { type: 'string' },
      'threshold-p99': { type: 'string' },
      'min-p99-samples': { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (error) {
  fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
}
const { values: args, positionals } = parsed;
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (positionals.length !== 2) fail(`expected two arguments (base and head), got ${positionals.length}\n\n${USAGE}`);

function number(name: string, raw: string | undefined, fallback: number, integer = false): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) fail(`--${name} must be a non-negative ${integer ? 'integer' : 'number'}; got "${raw}"`);
  return n;
}
const options: CompareOptions = {
  ...DEFAULT_COMPARE,
  thresholdP50: number('threshold-p50', args['threshold-p50'], DEFAULT_COMPARE.thresholdP50),
  thresholdP99: number('threshold-p99', args['threshold-p99'], DEFAULT_COMPARE.thresholdP99),
  minP99Samples: number('min-p99-samples', args['min-p99-samples'], DEFAULT_COMPARE.minP99Samples, true),
};

/** Reads a benchmark file; a missing, unreadable or foreign file is a CompareError naming it. */
function readBenchFile(path: string): BenchFile {
  if (!existsSync(path)) throw new CompareError(`${path}: no such file`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CompareError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const schema = (data as { schema?: unknown }).schema;
  if (schema !== 'agentos-chaos/bench@1') throw new CompareError(`${path}: schema is ${JSON.stringify(schema)}, expected "agentos-chaos/bench@1"`);
  return data as BenchFile;
}

class CompareError extends Error {}

/** Checks both refs out in temporary worktrees, installs, and runs their benchmarks alternately. */
async function measureRefs(baseRef: string, headRef: string, rounds: number): Promise<[BenchFile, BenchFile]> {
  const resolve = (ref: string): string => {
    try {
      return execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch {
      return fail(`"${ref}" is not a commit in this repository`);
    }
  };
  const shas = [resolve(baseRef), resolve(headRef)];
  const root = mkdtempSync(join(tmpdir(), 'agentos-bench-compare-'));
  const trees = shas.map((_, i) => join(root, i === 0 ? 'base' : 'head'));
  const added: string[] = [];
  try {
    for (const [i, tree] of trees.entries()) {
      await execa('git', ['worktree', 'add', '--detach', tree, shas[i]!], { cwd: ROOT });
      added.push(tree);
      process.stderr.write(`installing ${i === 0 ? 'base' : 'head'} (${shas[i]!.slice(0, 7)}) …\n`);
      await execa('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], { cwd: tree, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    const collected: BenchFile[][] = [[], []];
    for (let round = 1; round <= rounds; round++) {
      for (const [i, tree] of trees.entries()) {
        const side = i === 0 ? 'base' : 'head';
        process.stderr.write(`round ${round}/${rounds}: ${side}\n`);
        // The file is named by the worktree's own short hash; remove it first so a failed round cannot reuse the last one.
        const short = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: tree, encoding: 'utf8' }).trim();
        const file = join(tree, 'reports', 'bench', `${short}.json`);
        rmSync(file, { force: true });
        const run = await execa('pnpm', ['chaos', '--category', 'bench', '--seed', String(round)], { cwd: tree, stdio: ['ignore', 'ignore', 'inherit'], reject: false });
        if (!existsSync(file)) {
          throw new CompareError(`round ${round}: ${side} wrote no ${file} (exit ${run.exitCode ?? run.signal}); does that commit have the benchmark harness?`);
        }
        collected[i]!.push(readBenchFile(file));
      }
    }
    return [mergeRounds(collected[0]!), mergeRounds(collected[1]!)];
  } finally {
    for (const tree of added) await execa('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT, reject: false });
    await execa('git', ['worktree', 'prune'], { cwd: ROOT, reject: false });
    rmSync(root, { recursive: true, force: true });
  }
}

const rounds = number('rounds', args.rounds, 5, true);
if (args.refs && rounds < MIN_GATE_ROUNDS) fail(`--rounds must be at least ${MIN_GATE_ROUNDS} for a decision; got ${rounds}`);
let base: BenchFile;
let head: BenchFile;
try {
  [base, head] = args.refs ? await measureRefs(positionals[0]!, positionals[1]!, rounds) : [readBenchFile(positionals[0]!), readBenchFile(positionals[1]!)];
} catch (error) {
  if (error instanceof CompareError) fail(error.message);
  throw error;
}
const rows = compareBenchFiles(base, head, options);
if (rows.length === 0) fail('the two files have no benchmark in common');
const markdown = renderComparison(base, head, rows, options);
console.log(markdown);
if (args.output) writeFileAtomic(args.output, markdown);
process.exit(rows.some((r) => r.verdict === 'regression') ? 1 : 0);
