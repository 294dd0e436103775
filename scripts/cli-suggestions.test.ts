import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../harness/workers/build.js';
import { UsageError, readRunRequest } from './run-request.js';

describe('did you mean, on the command line', () => {
  it.each([
    [['--onyl', 'kill9-recovery'], /Unknown option '--onyl'; did you mean --only\?/],
    [['--only', 'kil9-recovery'], /--only: unknown id\(s\) kil9-recovery \(did you mean kill9-recovery\?\)/],
    [['--category', 'stres'], /--category must be one of chaos, bench, stress; got "stres"; did you mean "stress"\?/],
    [
      ['--format', 'github-action-benchmak'],
      /--format must be one of .*; got "github-action-benchmak"; did you mean "github-action-benchmark"\?/,
    ],
  ])('pnpm chaos %j: a usage error with a suggestion', async (args, message) => {
    const request = readRunRequest(args, PACKAGE_ROOT);
    await expect(request).rejects.toThrow(UsageError);
    await expect(request).rejects.toThrow(message);
  });

  it('pnpm bench:compare with a misspelt option: exit 2 with a suggestion', async () => {
    const { stderr, exitCode } = await execa(
      'tsx',
      ['scripts/bench-compare.ts', '--treshold-p50', '0.1', 'a.json', 'b.json'],
      { cwd: PACKAGE_ROOT, preferLocal: true, reject: false },
    );
    expect(exitCode).toBe(2);
    expect(stderr).toMatch(/Unknown option '--treshold-p50'; did you mean --threshold-p50\?/);
  });
});
