import type { TestResult } from '../result.js';

/** How many tests of a run did what: the one count every place of the report and the terminal shows. */
export interface RunCounts {
  /** Every test selected: ran + not applicable + missing. */
  selected: number;
  /** Tests that ran: passed + failed. A not-applicable test was not run. */
  ran: number;
  passed: number;
  failed: number;
  notApplicable: number;
  /** Selected tests with no result (interrupted). */
  missing: number;
}

export function countRuns(results: readonly TestResult[], missing: readonly string[] = []): RunCounts {
  const count = (state: TestResult['state']): number => results.filter((r) => r.state === state).length;
  const passed = count('passed');
  const failed = count('failed');
  const notApplicable = count('not-applicable');
  return {
    selected: passed + failed + notApplicable + missing.length,
    ran: passed + failed,
    passed,
    failed,
    notApplicable,
    missing: missing.length,
  };
}

/** The tests that should have passed: those that ran, and those that should have run but have no result. */
export const applicable = (c: RunCounts): number => c.ran + c.missing;

/** The closing tally, in the same words wherever it is shown. */
export const tally = (c: RunCounts): string =>
  `${c.selected} selected; ran ${c.ran} (passed ${c.passed}, failed ${c.failed}); not applicable, not run: ${c.notApplicable}${c.missing > 0 ? `; no result: ${c.missing}` : ''}`;
