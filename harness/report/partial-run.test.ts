import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown.js';
import { partialRun, reportFiles } from './partial-run.js';
import { fixtureFile } from './report-fixture.js';

const full = { only: null, category: null, subjects: ['agentos-sqlite'] };

describe('partialRun', () => {
  it('calls every declared test a full run, on whichever subjects', () => {
    expect(partialRun(full)).toBeUndefined();
    // A project testing its own runtime: every test on its subject alone is its full run.
    expect(partialRun({ ...full, subjects: ['jsonl-file'] })).toBeUndefined();
    expect(partialRun({ ...full, subjects: ['agentos-sqlite', 'agentos-postgres', 'langgraph-sqlite'] })).toBe(
      undefined,
    );
    // Files written before subjects ran on agentos-sqlite alone.
    expect(partialRun({ only: null, category: null })).toBeUndefined();
    expect(reportFiles(full)).toEqual({ report: 'acceptance.md', results: 'results.json' });
  });

  it('calls a subset of the tests or the campaign alone partial, and says why', () => {
    expect(partialRun({ ...full, only: ['kill9-recovery', 'langgraph-kill9'] })).toBe(
      '--only kill9-recovery,langgraph-kill9',
    );
    expect(partialRun({ ...full, category: 'bench' })).toBe('--category bench');
    expect(partialRun({ ...full, campaignOnly: true })).toBe('the fault campaign alone');
    expect(reportFiles({ ...full, category: 'stress' })).toEqual({
      report: 'partial.md',
      results: 'partial-results.json',
    });
  });

  it('heads a partial run’s report with why, and the files it leaves alone', () => {
    const md = renderMarkdown({ ...fixtureFile, selection: { ...full, only: ['kill9-recovery'] } }, [], {
      histories: new Map(),
      benchRuns: [],
    });
    expect(md.split('\n')[0]).toBe('# AgentOS recovery layer — acceptance report (partial run)');
    expect(md).toContain(
      '> Partial run: --only kill9-recovery. It writes partial.md and partial-results.json, and leaves acceptance.md and results.json as the last full run wrote them.',
    );
    expect(renderMarkdown(fixtureFile, [], { histories: new Map(), benchRuns: [] })).not.toContain('Partial run');
  });
});
