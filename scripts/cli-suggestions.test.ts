import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../harness/workers/build.js';

function run(script: string, ...args: string[]) {
  return execa('tsx', [script, ...args], { cwd: PACKAGE_ROOT, preferLocal: true, reject: false });
}

describe('did you mean, on the command line', () => {
  it.each([
    ['scripts/chaos.ts', ['--onyl', 'kill9-recovery'], /Unknown option '--onyl'; did you mean --only\?/],
    [
      'scripts/chaos.ts',
      ['--only', 'kil9-recovery'],
      /--only: unknown id\(s\) kil9-recovery \(did you mean kill9-recovery\?\)/,
    ],
    [
      'scripts/chaos.ts',
      ['--category', 'stres'],
      /--category must be one of chaos, bench, stress; got "stres"; did you mean "stress"\?/,
    ],
    [
      'scripts/chaos.ts',
      ['--format', 'github-action-benchmak'],
      /--format must be one of .*; got "github-action-benchmak"; did you mean "github-action-benchmark"\?/,
    ],
    [
      'scripts/bench-compare.ts',
      ['--treshold-p50', '0.1', 'a.json', 'b.json'],
      /Unknown option '--treshold-p50'; did you mean --threshold-p50\?/,
    ],
  ])('%s %j: exit 2 with a suggestion', async (script, args, message) => {
    const { stderr, exitCode } = await run(script, ...args);
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(message);
  });
});
