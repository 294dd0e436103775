import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { closest, didYouMean, optionError } from './suggest.js';

describe('closest', () => {
  it('finds the nearest name by edit distance, or a name the input begins', () => {
    expect(closest('cout', ['count', 'taskId'])).toBe('count');
    expect(closest('timeout', ['title', 'timeoutMs', 'workers'])).toBe('timeoutMs');
    expect(closest('kil9-recovery', ['kill9-recovery', 'lease-takeover'])).toBe('kill9-recovery');
    expect(closest('Sigkill', ['sigkill'])).toBe('sigkill');
  });

  it('suggests nothing far away, and never the input itself', () => {
    expect(closest('frobnicate', ['only', 'format', 'seed'])).toBeUndefined();
    expect(closest('ab', ['xy'])).toBeUndefined();
    expect(closest('only', ['only'])).toBeUndefined();
  });

  it('words the suggestion', () => {
    expect(didYouMean('sigkil', ['sigkill', 'pause'])).toBe('; did you mean "sigkill"?');
    expect(didYouMean('zzz', ['sigkill'])).toBe('');
  });
});

describe('optionError', () => {
  const parse = (args: string[]): unknown => {
    try {
      parseArgs({ args, options: { only: { type: 'string' }, format: { type: 'string' } }, strict: true });
    } catch (error) {
      return error;
    }
    throw new Error('expected parseArgs to throw');
  };

  it('names the unknown flag and the closest known one', () => {
    expect(optionError(parse(['--onyl', 'x']), ['only', 'format'])).toBe(
      "Unknown option '--onyl'; did you mean --only?",
    );
    expect(optionError(parse(['--frobnicate']), ['only', 'format'])).toBe("Unknown option '--frobnicate'");
  });

  it('passes other errors through', () => {
    expect(optionError(parse(['--only']), ['only'])).toMatch(/argument missing/);
  });
});
