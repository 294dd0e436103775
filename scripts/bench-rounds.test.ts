import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test/helpers/temp-db.js';
import { readBenchFile } from '../harness/report/bench-read.js';
import { PACKAGE_ROOT } from '../harness/workers/build.js';
import { commandArgs } from './commands.js';
import { UsageError, readRunRequest } from './run-request.js';

/** A benchmark of 30 ms a round, so that whole runs of the command stay cheap. */
const CHEAP_BENCHMARK = `import { defineBenchmark } from '${join(PACKAGE_ROOT, 'harness/define.ts')}';

export default defineBenchmark({
  id: 'cheap-lookup',
  title: 'A cheap lookup',
  purpose: 'Rounds of a benchmark that takes a moment.',
  seedTest: '—',
  procedure: ['Times a cache hit for 30 ms.'],
  variants: [{ name: 'normal', subject: 'cache-hit', durability: 'normal' }],
  timeMs: 30,
  warmupMs: 10,
  criteria: [
    { id: 'p50', description: 'P50', seed: '—', ours: '≤ 10 ms', metric: { variant: 'normal', stat: 'p50', maxMs: 10 } },
  ],
});
`;

/** A project of its own in a git repository, with one cheap benchmark; returns its short commit. */
async function project(dir: string): Promise<string> {
  const git = (...args: string[]) => execa('git', args, { cwd: dir });
  await git('init', '-q');
  writeFileSync(join(dir, 'package.json'), '{ "name": "rounds-project", "private": true, "type": "module" }\n');
  mkdirSync(join(dir, 'scenarios', 'bench'), { recursive: true });
  writeFileSync(join(dir, 'scenarios', 'bench', 'cheap.ts'), CHEAP_BENCHMARK);
  writeFileSync(join(dir, '.gitignore'), 'reports/\n');
  await git('add', '-A');
  await git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'one benchmark');
  return (await git('rev-parse', '--short', 'HEAD')).stdout.trim();
}

/** `pnpm bench` (the chaos command's bench) run in the project. */
function bench(dir: string, ...args: string[]) {
  return execa(
    join(PACKAGE_ROOT, 'node_modules/.bin/tsx'),
    [join(PACKAGE_ROOT, 'scripts/chaos.ts'), 'bench', ...args],
    {
      cwd: dir,
      reject: false,
    },
  );
}

/** The request `pnpm bench` reads in the project, read in this process. */
function benchRequest(dir: string, ...args: string[]) {
  const command = commandArgs(['bench', ...args]);
  if ('error' in command) throw new Error(command.error);
  return readRunRequest(command.args, dir);
}

const rounds = (path: string): number => readBenchFile(path).benchmarks[0]!.rounds.length;

describe('pnpm bench adds rounds to the file of the code it measured', () => {
  const tempDir = useTempDir();

  it('--rounds 2 then one more run: three rounds in <commit>.json; an uncommitted edit gets a file of its own', async () => {
    const dir = tempDir();
    const commit = await project(dir);
    const clean = join(dir, 'reports', 'bench', `${commit}.json`);
    const first = await bench(dir, '--rounds', '2');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain('bench/cheap-lookup (round 2/2)');
    expect(first.stdout).toContain(`reports/bench/${commit}.json`);
    expect(rounds(clean)).toBe(2);
    expect((await bench(dir)).exitCode).toBe(0);
    expect(rounds(clean)).toBe(3);

    writeFileSync(
      join(dir, 'package.json'),
      '{ "name": "rounds-project", "private": true, "type": "module", "x": 1 }\n',
    );
    const edited = await bench(dir);
    expect(edited.exitCode).toBe(0);
    const dirtyName = /reports\/bench\/([0-9a-f]+-dirty-[0-9a-f]{8}\.json)/.exec(edited.stdout)?.[1];
    expect(dirtyName?.startsWith(`${commit}-dirty-`)).toBe(true);
    expect(rounds(join(dir, 'reports', 'bench', dirtyName!))).toBe(1);
    expect(rounds(clean)).toBe(3);
  });

  it('refuses, before running anything, to add rounds to a file it cannot read, and --rounds 0', async () => {
    const dir = tempDir();
    const commit = await project(dir);
    const clean = join(dir, 'reports', 'bench', `${commit}.json`);
    mkdirSync(join(dir, 'reports', 'bench'), { recursive: true });
    writeFileSync(clean, '{"schema":');
    // Read as the command reads it before running anything (scripts/chaos.test.ts shows bad input's exit 2).
    const refused = benchRequest(dir);
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(`reports/bench/${commit}.json: not valid JSON`);
    await expect(refused).rejects.toThrow(/move it away or delete it, and run again\nNothing was run\./);
    expect(existsSync(join(dir, 'reports', 'acceptance.md'))).toBe(false);
    expect(readFileSync(clean, 'utf8')).toBe('{"schema":');
    await expect(benchRequest(dir, '--rounds', '0')).rejects.toThrow(
      '--rounds must be a whole number of rounds, at least 1; got "0"',
    );
  });
});
