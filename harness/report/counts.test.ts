import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../result.js';
import { summarizeRun } from './failures.js';
import { renderMarkdown } from './markdown.js';
import { fixtureFile } from './report-fixture.js';
import type { ResultsFile } from './results-file.js';
import { renderSummary } from './terminal/summary.js';

const base: ScenarioResult = {
  id: 'x',
  title: 'X',
  category: 'chaos',
  seedTest: 'T::t',
  purpose: 'p',
  procedure: ['p'],
  seed: 7,
  durationMs: 1000,
  subject: 'agentos-sqlite',
  criteria: [],
  faults: [],
  vacuity: [],
  workers: [],
  survivors: [],
  historyFile: '/x/reports/runs/x/history.jsonl',
  runDir: '',
  state: 'passed',
};

/** 20 chaos runs: 11 passed, 1 failed, 8 not applicable (a fault or capability the subject lacks). */
const results: ScenarioResult[] = Array.from({ length: 20 }, (_, i): ScenarioResult => {
  const r = { ...base, id: `scenario-${i + 1}`, title: `Scenario ${i + 1}` };
  if (i < 11) return r;
  if (i === 11) return { ...r, state: 'failed', reasons: ['timed out after 1000 ms'] };
  return { ...r, state: 'not-applicable', reason: 'power-loss: no FUSE' };
});

const file: ResultsFile = {
  ...fixtureFile,
  declared: { chaos: 20, bench: 0, stress: 0 },
  results,
};
const none = { histories: new Map(), benchRuns: [] };

describe('counts of one run agree everywhere', () => {
  const md = renderMarkdown(file, [], none);
  const terminal = renderSummary({
    summary: summarizeRun(file, [], new Map()),
    results,
    durationMs: 20_000,
    seed: 7,
    written: ['reports/acceptance.md'],
    color: false,
  });

  it('never counts a not-applicable test as run: the table’s Ran is passed + failed', () => {
    expect(md).toContain(
      '| Category | Declared | Ran | Passed | Failed | Not applicable (not run) | Performance targets met |',
    );
    expect(md).toContain('| Chaos scenarios | 20 | 12 | 11 | 1 | 8 | — |');
  });

  it('gives the same numbers in the verdict, the table’s total, the appendix and the terminal summary', () => {
    expect(md).toContain('**Verdict: ❌ 11/12 applicable declared tests passed; 8 not applicable here.**');
    expect(md).toContain('| **Total** | 20 | 12 | 11 | 1 | 8 | — |');
    expect(md).toContain('Total: 20 selected; ran 12 (passed 11, failed 1); not applicable, not run: 8');
    expect(terminal).toContain('✗ 11/12 passed, 1 failed, 8 not applicable (not run)');
  });
});
