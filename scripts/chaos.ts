// `pnpm chaos`: loads and validates every declaration once, runs the selected ones, and hands the results to the reporters.
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CATEGORIES, DeclarationError, loadScenarios, type Category } from '../harness/load.js';
import { environment } from '../harness/report/environment.js';
import { DEFAULT_REPORTERS, REPORTER_NAMES, reporters, type ReporterName } from '../harness/report/reporters.js';
import type { ResultsFile } from '../harness/report/results-file.js';
import { keptRunDir, type TestResult } from '../harness/result.js';
import { runDeclared } from '../harness/run/declared.js';
import { ROOT, buildWorkers } from '../harness/workers/build.js';

const EXTRA_FORMATS = REPORTER_NAMES.filter((n) => !DEFAULT_REPORTERS.includes(n));

const USAGE = `Usage: pnpm chaos [options]

Runs the declared chaos scenarios, benchmarks and stress tests and writes reports/acceptance.md,
reports/results.json and, when benchmarks ran, reports/bench/<commit>.json.

Options:
  --only <id,...>        run only these declared tests (see --list)
  --category <name>      run one category: ${CATEGORIES.join(' | ')}
  --seed <n>             replay a run with this seed (printed at the start of every run)
  --list                 list the declared tests and exit
  --format <name,...>    also export the benchmarks as: ${EXTRA_FORMATS.join(' | ')}
  -h, --help             show this help

Exit status: 0 when every gate passed, 1 when a test failed, 2 for bad input (nothing is run
and the previous report is left as it was), 130 when interrupted (likewise).`;

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
      format: { type: 'string' },
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
const formats = (args.format ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const badFormat = formats.find((f) => !REPORTER_NAMES.includes(f as ReporterName));
if (badFormat !== undefined) fail(`--format must be one of ${EXTRA_FORMATS.join(', ')} (comma-separated); got "${badFormat}"`);
const seed = args.seed !== undefined ? Number(args.seed) : randomInt(1, 2 ** 31 - 1);

const selected = declared.filter((d) => (!only || only.includes(d.id)) && (!args.category || d.category === args.category));
if (args.list) {
  for (const d of declared) console.log(`${d.category.padEnd(7)} ${d.id.padEnd(28)} ${d.category === 'bench' ? d.benchmark.title : d.scenario.title}  (${d.file})`);
  process.exit(0);
}
if (selected.length === 0) fail('the selection matches no declared test');

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

console.log(`pnpm chaos: ${selected.length} declared test(s), seed ${seed} (replay with --seed ${seed})`);
await buildWorkers();
const run = await runDeclared(selected, {
  seed,
  signal: interrupt.signal,
  onStart: (d, i) => console.log(`\n[${i + 1}/${selected.length}] ${d.category}/${d.id}: ${d.category === 'bench' ? d.benchmark.title : d.scenario.title}`),
  onProgress: (_id, message) => console.log(`  · ${message}`),
  onResult: (r) => console.log(`  ${line(r)}`),
});

if (run.interrupted) {
  console.log(`\nInterrupted after ${run.results.length} of ${selected.length} test(s); no report was written (the previous one is as it was).`);
  process.exit(130);
}

const reportsDir = join(ROOT, 'reports');
mkdirSync(reportsDir, { recursive: true });
const file: ResultsFile = {
  schema: 'agentos-chaos/results@1',
  generatedAt: new Date().toISOString(),
  seed,
  selection: { only, category: args.category ?? null },
  declared: Object.fromEntries(CATEGORIES.map((c) => [c, declared.filter((d) => d.category === c).length])),
  environment: environment(ROOT),
  durationMs: run.durationMs,
  harnessPeakRssKb: process.resourceUsage().maxRSS,
  results: run.results,
  missing: run.missing,
};
const written = [...DEFAULT_REPORTERS, ...(formats as ReporterName[])].flatMap((name) => reporters[name]({ file, reportsDir, declared }));

const failed = run.results.filter((r) => r.state === 'failed');
const notApplicable = run.results.filter((r) => r.state === 'not-applicable');
const passed = run.results.length - failed.length - notApplicable.length;
console.log(
  `\n${passed}/${selected.length - notApplicable.length} passed${notApplicable.length > 0 ? `, ${notApplicable.length} not applicable` : ''} in ${(run.durationMs / 1000).toFixed(1)} s; ` +
    `wrote ${written.map((w) => `reports/${w}`).join(', ')}`,
);
for (const r of [...failed, ...notApplicable]) console.log(`  ${r.id}: ${line(r)}`);
process.exit(failed.length > 0 ? 1 : 0);

/** One line for a finished test: ✓, ✗ with its reasons and kept run folder, or – not applicable. */
function line(r: TestResult): string {
  const time = `${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.state === 'passed') return `✓ passed in ${time}`;
  if (r.state === 'not-applicable') return `– not applicable: ${r.reason}`;
  const kept = keptRunDir(r);
  return `✗ failed in ${time}: ${r.reasons.join('; ')}${kept ? ` (run folder kept: ${kept})` : ''}`;
}
