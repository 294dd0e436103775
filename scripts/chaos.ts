// `pnpm chaos`: validates every declaration, runs the selected ones through vitest, writes the acceptance report.
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { CATEGORIES, DeclarationError, loadScenarios, type Category } from '../harness/load.js';
import { writeFileAtomic } from '../harness/report/atomic.js';
import { environment } from '../harness/report/environment.js';
import { renderMarkdown } from '../harness/report/markdown.js';
import { toBenchFile, toBmf, toGithubActionBenchmark } from '../harness/report/bench-file.js';
import type { ResultsFile } from '../harness/report/results-file.js';
import { keptRunDir, type ScenarioResult } from '../harness/result.js';
import { ROOT } from '../harness/workers/build.js';

const USAGE = `Usage: pnpm chaos [options]

Runs the declared chaos scenarios, benchmarks and stress tests through vitest and writes
reports/acceptance.md and reports/results.json.

Options:
  --only <id,...>        run only these declared tests (see --list)
  --category <name>      run one category: ${CATEGORIES.join(' | ')}
  --seed <n>             replay a run with this seed (printed at the start of every run)
  --list                 list the declared tests and exit
  --format <fmt>         benchmark export written beside reports/bench/<commit>.json:
                         json (default) | bmf (Bencher) | github-action-benchmark
  --vitest-json <file>   also write vitest's JSON report to <file>
  -h, --help             show this help`;

function fail(message: string, code = 2): never {
  process.stderr.write(`pnpm chaos: ${message}\n`);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      only: { type: 'string' },
      category: { type: 'string' },
      seed: { type: 'string' },
      list: { type: 'boolean', default: false },
      'vitest-json': { type: 'string' },
      format: { type: 'string', default: 'json' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
} catch (error) {
  fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

let declared;
try {
  declared = await loadScenarios();
} catch (error) {
  if (error instanceof DeclarationError) fail(`${error.message}\nNothing was run.`);
  throw error;
}

if (args.category !== undefined && !CATEGORIES.includes(args.category as Category)) {
  fail(`--category must be one of ${CATEGORIES.join(', ')}; got "${args.category}"`);
}
const ids = declared.map((d) => d.id);
const only = args.only ? args.only.split(',').map((s) => s.trim()).filter(Boolean) : null;
const unknown = only?.filter((id) => !ids.includes(id)) ?? [];
if (unknown.length > 0) fail(`--only: unknown id(s) ${unknown.join(', ')}; declared: ${ids.join(', ')}`);
if (args.seed !== undefined && !/^\d+$/.test(args.seed)) fail(`--seed must be a non-negative integer; got "${args.seed}"`);
const FORMATS = ['json', 'bmf', 'github-action-benchmark'];
if (!FORMATS.includes(args.format)) fail(`--format must be one of ${FORMATS.join(', ')}; got "${args.format}"`);
const seed = args.seed !== undefined ? Number(args.seed) : randomInt(1, 2 ** 31 - 1);

const selected = declared.filter((d) => (!only || only.includes(d.id)) && (!args.category || d.category === args.category));
if (args.list) {
  for (const d of declared) console.log(`${d.category.padEnd(7)} ${d.id.padEnd(28)} ${d.category === 'bench' ? d.benchmark.title : d.scenario.title}  (${d.file})`);
  process.exit(0);
}
if (selected.length === 0) fail('the selection matches no declared test');

console.log(`pnpm chaos: ${selected.length} declared test(s), seed ${seed} (replay with --seed ${seed})`);
const reportsDir = join(ROOT, 'reports');
mkdirSync(reportsDir, { recursive: true });
const resultsTmp = join(reportsDir, `.results.${process.pid}.json`);
const started = performance.now();
const vitestArgs = ['run', '--project', 'chaos', '--reporter=default'];
if (args['vitest-json']) vitestArgs.push('--reporter=json', `--outputFile.json=${args['vitest-json']}`);
const run = await execa('vitest', vitestArgs, {
  cwd: ROOT,
  preferLocal: true,
  stdio: 'inherit',
  reject: false,
  env: {
    CHAOS_SEED: String(seed),
    CHAOS_RESULTS_FILE: resultsTmp,
    ...(only ? { CHAOS_ONLY: only.join(',') } : {}),
    ...(args.category ? { CHAOS_CATEGORY: args.category } : {}),
  },
});
const durationMs = performance.now() - started;

if (!existsSync(resultsTmp)) {
  fail(`vitest exited (${run.exitCode ?? run.signal}) without results; the previous report was left as it was`, 1);
}
const { results, harnessPeakRssKb } = JSON.parse(readFileSync(resultsTmp, 'utf8')) as { results: ScenarioResult[]; harnessPeakRssKb: number | null };
rmSync(resultsTmp, { force: true });
const missing = selected.map((d) => d.id).filter((id) => !results.some((r) => r.id === id));

const file: ResultsFile = {
  schema: 'agentos-chaos/results@1',
  generatedAt: new Date().toISOString(),
  seed,
  selection: { only, category: args.category ?? null },
  declared: Object.fromEntries(CATEGORIES.map((c) => [c, declared.filter((d) => d.category === c).length])),
  environment: environment(ROOT),
  durationMs,
  harnessPeakRssKb,
  results,
  missing,
};
writeFileAtomic(join(reportsDir, 'results.json'), `${JSON.stringify(file, null, 2)}\n`);
const benchResults = results.filter((r) => r.category === 'bench');
if (benchResults.length > 0) {
  const options = (id: string) => {
    const d = declared.find((x) => x.id === id);
    return d?.category === 'bench' ? { timeMs: d.benchmark.timeMs, warmupMs: d.benchmark.warmupMs, iterations: d.benchmark.iterations } : { timeMs: 0, warmupMs: 0, iterations: 0 };
  };
  const bench = toBenchFile(benchResults, file.environment, options);
  const base = join(reportsDir, 'bench', bench.commit);
  writeFileAtomic(`${base}.json`, `${JSON.stringify(bench)}\n`);
  if (args.format === 'bmf') writeFileAtomic(`${base}.bmf.json`, `${JSON.stringify(toBmf(bench), null, 2)}\n`);
  if (args.format === 'github-action-benchmark') writeFileAtomic(`${base}.github-action-benchmark.json`, `${JSON.stringify(toGithubActionBenchmark(bench), null, 2)}\n`);
  console.log(`benchmarks: reports/bench/${bench.commit}.json${args.format === 'json' ? '' : ` and .${args.format}.json`}`);
}
writeFileAtomic(join(reportsDir, 'acceptance.md'), renderMarkdown(file));

const failed = results.filter((r) => r.state === 'failed');
console.log(`\n${results.length - failed.length}/${selected.length} passed in ${(durationMs / 1000).toFixed(1)} s; report: reports/acceptance.md`);
for (const r of failed) {
  const kept = keptRunDir(r);
  console.log(`  ✗ ${r.id}: ${r.state === 'failed' ? r.reasons.join('; ') : ''}${kept ? ` (run folder kept: ${kept})` : ''}`);
}
for (const id of missing) console.log(`  ✗ ${id}: did not report a result`);
process.exit(failed.length > 0 || missing.length > 0 || run.exitCode !== 0 ? 1 : 0);
