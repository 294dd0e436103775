import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../harness/workers/build.js';
import { UsageError, readRunRequest } from './run-request.js';

function chaos(...args: string[]) {
  return execa('tsx', ['scripts/chaos.ts', ...args], { cwd: PACKAGE_ROOT, preferLocal: true, reject: false });
}

const report = join(PACKAGE_ROOT, 'reports/acceptance.md');
const reportText = (): string | null => (existsSync(report) ? readFileSync(report, 'utf8') : null);

describe('pnpm chaos (bad input)', () => {
  it('lists the declared tests', async () => {
    const { stdout, exitCode } = await chaos('--list');
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/chaos\s+kill9-recovery\s+Kill -9 recovery/);
    expect(stdout.trim().split('\n').length).toBeGreaterThanOrEqual(7);
  });

  it('prints bad input with its name, exits 2 and leaves the report alone', async () => {
    const before = reportText();
    const { stderr, exitCode } = await chaos('--only', 'nope');
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/^pnpm chaos: --only: unknown id\(s\) nope; declared: .*kill9-recovery/);
    expect(reportText()).toBe(before);
  });

  it.each([
    [['--only', 'nope'], /--only: unknown id\(s\) nope; declared: .*kill9-recovery/],
    [['--category', 'fast'], /--category must be one of chaos, bench, stress; got "fast"/],
    [['--seed', 'abc'], /--seed must be an integer from 0 to 4294967295; got "abc"/],
    [['--seed', '99999999999999999999999'], /--seed must be an integer from 0 to 4294967295/],
    [['--only', ''], /--only needs at least one id/],
    [['--campaign', '2', '--replay', '{}'], /--campaign and --replay cannot be combined/],
    [['--campaign', '1', '--only', 'kill9-recovery'], /--campaign runs no declared test: drop --only/],
    [
      ['--replay', '{"seed":1,"writers":0,"commits":1,"tools":0,"steps":0,"faults":[]}'],
      /--replay: the schedule cannot run/,
    ],
    [
      [
        '--replay',
        '{"seed":1,"writers":0,"commits":1,"tools":4,"steps":0,"faults":[{"kind":"kill","target":"runner","after":1}]}',
      ],
      /--replay: the schedule cannot run/,
    ],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['--rounds', 'two', '--category', 'bench'], /--rounds must be a whole number of rounds, at least 1; got "two"/],
    [['--rounds', '2', '--only', 'kill9-recovery'], /--rounds repeats benchmarks, and the selection has none/],
    [
      ['--subject', 'langgraph-sqlit'],
      /--subject must be one or more of .*; got "langgraph-sqlit".*did you mean "langgraph-sqlite"/,
    ],
    [
      ['--subject', 'agentos-postgres', '--pg-url', 'postgresql://postgres@127.0.0.1:1/none'],
      /PostgreSQL at postgresql:\/\/postgres@127\.0\.0\.1:1\/none is unreachable.*\n.*--pg-url/,
    ],
    [['--subject', 'agentos-postgres', '--campaign', '3'], /the campaign runs on agentos-sqlite only/],
    [['--campaign', 'many'], /--campaign must be a number of runs; got "many"/],
    [
      ['--campaign', '5', '--mutant', 'no-locks'],
      /--mutant must be one of ack-before-commit, no-fencing, rerun-in-doubt; got "no-locks"/,
    ],
    [['--mutant', 'no-fencing'], /--mutant needs --campaign or --replay/],
    [['--replay', '{"seed":1'], /--replay: not JSON/],
    [
      [
        '--replay',
        '{"seed":1,"writers":1,"commits":5,"tools":0,"steps":0,"faults":[{"kind":"kill","target":"writers","after":1}]}',
      ],
      /--replay: faults\.0\.target: /,
    ],
  ])('rejects %j with a clear error before anything runs', async (args, message) => {
    const before = reportText();
    const request = readRunRequest(args, PACKAGE_ROOT);
    await expect(request).rejects.toThrow(UsageError);
    await expect(request).rejects.toThrow(message);
    expect(reportText()).toBe(before);
  });
});
