import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { useTempDir } from '../test/helpers/temp-db.js';
import { roundsFile, scaleRun } from '../harness/compare/bench-fixture.js';
import type { BenchFile } from '../harness/report/bench-file.js';
import { seededRandom } from '../harness/random.js';
import { gateProgram } from '../harness/compare/gate.js';
import { PACKAGE_ROOT } from '../harness/workers/build.js';

const VARIANTS = [
  { id: 'checkpoint-creation/normal', center: 0.015 },
  { id: 'checkpoint-creation/full', center: 0.1 },
  { id: 'tool-replay/normal', center: 0.007 },
];

/** The run of a CI job: 3 rounds (3 % from round to round), the whole job 3 % faster or slower than another. */
function jobRun(commit: string, seed: number, slowdown: Record<string, number> = {}): BenchFile {
  const job = Math.exp(0.03 * (seededRandom(seed)() * 2 - 1));
  const file = roundsFile(commit, VARIANTS, seed, 3, { spread: 0.03, slowdown });
  return { ...scaleRun(file, job, commit), generatedAt: `2026-01-${String(seed).padStart(2, '0')}T00:00:00.000Z` };
}

interface Step {
  name?: string;
  run?: string;
}

/** The `run` of a step of the workflow's bench job, by name. */
function workflowStep(name: string): string {
  const workflow = parse(readFileSync(join(PACKAGE_ROOT, '.github/workflows/chaos.yml'), 'utf8')) as {
    jobs: Record<string, { steps: Step[] }>;
  };
  const run = workflow.jobs.bench?.steps.find((s) => s.name === name)?.run;
  if (run === undefined) throw new Error(`the bench job has no step "${name}" with a run`);
  return run;
}

/**
 * A checkout as the CI job sees it after `pnpm bench --rounds 3`: a git repository whose package.json runs this
 * repository's bench:gate, the restored history in bench-history/ and the head run in reports/bench/<commit>.json.
 */
async function checkout(dir: string, history: BenchFile[], head: (commit: string) => BenchFile): Promise<string> {
  const git = (...args: string[]) => execa('git', args, { cwd: dir });
  await git('init', '-q');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      name: 'ci-checkout',
      private: true,
      scripts: {
        'bench:gate': `${join(PACKAGE_ROOT, 'node_modules/.bin/tsx')} ${join(PACKAGE_ROOT, 'scripts/bench-gate.ts')}`,
      },
    }),
  );
  // Installed, as in the job (pnpm warns about a package.json without node_modules).
  mkdirSync(join(dir, 'node_modules'));
  await git('add', 'package.json');
  await git('-c', 'user.name=ci', '-c', 'user.email=ci@example.com', 'commit', '-q', '-m', 'head');
  const commit = (await git('rev-parse', '--short', 'HEAD')).stdout.trim();
  mkdirSync(join(dir, 'bench-history'));
  for (const run of history) writeFileSync(join(dir, 'bench-history', `${run.commit}.json`), JSON.stringify(run));
  mkdirSync(join(dir, 'reports', 'bench'), { recursive: true });
  writeFileSync(join(dir, 'reports', 'bench', `${commit}.json`), JSON.stringify(head(commit)));
  return commit;
}

interface StepResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  summary: string;
}

/** A fresh job summary file; returns its path. */
function emptySummary(dir: string): string {
  const summary = join(dir, 'summary.md');
  writeFileSync(summary, '');
  return summary;
}

/** Runs a step's command as the runner does (bash, then pnpm and tsx), with the job summary in a file. */
async function runStep(dir: string, command: string): Promise<StepResult> {
  const summary = emptySummary(dir);
  const { exitCode, stdout, stderr } = await execa('bash', ['-eo', 'pipefail', '-c', command], {
    cwd: dir,
    env: { GITHUB_STEP_SUMMARY: summary },
    reject: false,
  });
  return { exitCode, stdout, stderr, summary: readFileSync(summary, 'utf8') };
}

/**
 * The same step in this process: bash expands the command as the runner does, a shell function standing in for
 * pnpm prints the arguments bench:gate is given, and the gate runs on them in the checkout's folder.
 */
async function runStepHere(dir: string, command: string): Promise<StepResult> {
  const summary = emptySummary(dir);
  const pnpm = `pnpm() { [ "$1" = bench:gate ] || exit 99; shift; printf '%s\\0' "$@"; }`;
  const expanded = await execa('bash', ['-eo', 'pipefail', '-c', `${pnpm}\n${command}`], {
    cwd: dir,
    env: { GITHUB_STEP_SUMMARY: summary },
  });
  const argv = expanded.stdout.split('\0').slice(0, -1);
  let stdout = '';
  let stderr = '';
  const io = { out: (text: string) => (stdout += text), err: (text: string) => (stderr += text) };
  // Synchronous from chdir to chdir back: nothing else in this process runs in the checkout's folder.
  const cwd = process.cwd();
  process.chdir(dir);
  let exitCode: number;
  try {
    exitCode = gateProgram(argv, 'pnpm bench:gate', io);
  } finally {
    process.chdir(cwd);
  }
  return { exitCode, stdout, stderr, summary: readFileSync(summary, 'utf8') };
}

describe("the workflow's benchmark gate, run locally on generated histories", () => {
  const tempDir = useTempDir();
  const main = Array.from({ length: 8 }, (_, i) => jobRun(`main${i}`, i + 1));
  const gate = workflowStep("Gate against main's benchmark history");

  it('passes an unchanged pull request, with a plain table on the terminal and the Markdown in the job summary', async () => {
    const dir = tempDir();
    await checkout(dir, main, (commit) => jobRun(commit, 20));
    const result = await runStep(dir, gate);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('bench-history: 8 earlier run(s) on cpu, 2 cores, Node v20');
    expect(result.stdout).toMatch(/^tool-replay\/normal\s+P50\s+8\s.*within noise$/m);
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('No regression.');
    expect(result.stdout).not.toMatch(/xychart|\| Benchmark|<svg/);
    expect(result.summary).toContain('against 8 earlier run(s)');
    expect(result.summary).toMatch(/\| tool-replay\/normal \| P50 \| 8 \| .* \| ➖ within noise \|/);
    expect(result.summary).toContain('**No regression.**');
  });

  it('fails a pull request that slows one variant down 1.5× (exit 1), naming it', async () => {
    const dir = tempDir();
    await checkout(dir, main, (commit) => jobRun(commit, 20, { 'tool-replay/normal': 1.5 }));
    const result = await runStepHere(dir, gate);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/^tool-replay\/normal\s+P50\s+8\s.*REGRESSION$/m);
    expect(result.stdout).toMatch(/^checkpoint-creation\/normal\s+P50\s+8\s.*within noise$/m);
    expect(result.stdout).toContain('\n1 regression(s): tool-replay/normal P50.\n');
    expect(result.summary).toContain('**1 regression(s):** tool-replay/normal P50.');
    // The ratio chart is a file for the job's artifact (a job summary cannot show it), named in the summary.
    expect(result.summary).toContain("The ratio chart is `reports/bench/bench-gate.svg` in the run's artifacts.");
    const chart = readFileSync(join(dir, 'reports', 'bench', 'bench-gate.svg'), 'utf8');
    expect(chart).toMatch(/^<svg /);
    expect(chart).toContain('>tool-replay/normal</text>');
    expect(chart).toContain('>head ÷ baseline P50: regression</text>');
  });

  it('does not gate on fewer than 5 earlier runs: says how many more and where they come from, exit 0', async () => {
    const dir = tempDir();
    await checkout(dir, main.slice(0, 2), (commit) => jobRun(commit, 20, { 'tool-replay/normal': 1.5 }));
    const result = await runStepHere(dir, gate);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('3 more earlier run(s) are needed.');
    expect(result.stdout).toContain('in CI each push to main adds its file to the benchmark history');
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('Not gated: 2 of 5 earlier runs.');
  });

  it('on the first run (no history restored) says so and exits 0', async () => {
    const dir = tempDir();
    await checkout(dir, [], (commit) => jobRun(commit, 20));
    const result = await runStepHere(dir, gate);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Not gated: no earlier run to compare with (5 are needed');
    expect(result.summary).toContain('Not gated: no earlier run to compare with');
  });

  it('leaves out runs of another kind of machine', async () => {
    const dir = tempDir();
    const elsewhere = main.map((f) => ({ ...f, environment: { ...f.environment, cpu: 'Other CPU' } }));
    await checkout(dir, [...main.slice(0, 4), ...elsewhere.slice(4)], (commit) => jobRun(commit, 20));
    const result = await runStepHere(dir, gate);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('bench-history: 4 earlier run(s) on cpu, 2 cores, Node v20; 4 left out (');
    expect(result.stdout).toContain('main4.json: ran on Other CPU, 2 cores, Node v20');
  });

  it("main's save step adds the run's rounds to the history and keeps the newest files", async () => {
    const dir = tempDir();
    const commit = await checkout(dir, main, (c) => jobRun(c, 20));
    const save = workflowStep('Add this run to the history');
    expect((await runStepHere(dir, save)).exitCode).toBe(0);
    const names = readdirSync(join(dir, 'bench-history')).sort();
    expect(names).toHaveLength(9);
    expect(names).toContain(`${commit}.json`);
    // A re-run of the same commit adds its rounds to that file.
    const again = await runStepHere(dir, save);
    expect(again.stdout).toContain(`saved reports/bench/${commit}.json to bench-history as ${commit}.json`);
    const saved = JSON.parse(readFileSync(join(dir, 'bench-history', `${commit}.json`), 'utf8')) as BenchFile;
    expect(saved.benchmarks[0]!.rounds).toHaveLength(6);
    const pruned = await runStepHere(dir, save.replace('--keep 30', '--keep 5'));
    expect(pruned.stdout).toContain('removed bench-history/main0.json (keeping the newest 5)');
    expect(readdirSync(join(dir, 'bench-history'))).toHaveLength(5);
  });
});
