import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { renderMarkdown } from './markdown.js';
import { partialRun, reportFiles } from './partial-run.js';
import { fixtureDeclared, fixtureFile } from './report-fixture.js';
import { reporters } from './reporters.js';

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
    expect(reportFiles(full)).toEqual({
      report: 'acceptance.md',
      html: 'acceptance.html',
      charts: 'charts',
      results: 'results.json',
    });
  });

  it('calls a subset of the tests or the campaign alone partial, and says why', () => {
    expect(partialRun({ ...full, only: ['kill9-recovery', 'langgraph-kill9'] })).toBe(
      '--only kill9-recovery,langgraph-kill9',
    );
    expect(partialRun({ ...full, category: 'bench' })).toBe('--category bench');
    expect(partialRun({ ...full, campaignOnly: true })).toBe('the fault campaign alone');
    expect(reportFiles({ ...full, category: 'stress' })).toEqual({
      report: 'partial.md',
      html: 'partial.html',
      charts: 'partial-charts',
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
      '> Partial run: --only kill9-recovery. It writes partial.md, partial.html, partial-charts/ and partial-results.json, and leaves acceptance.md, acceptance.html, charts/ and results.json as the last full run wrote them.',
    );
    expect(renderMarkdown(fixtureFile, [], { histories: new Map(), benchRuns: [] })).not.toContain('Partial run');
  });
});

describe('the report writer and a partial run', () => {
  const tempDir = useTempDir();

  it('writes a full run’s report, page and charts, and a partial run’s beside them without touching any of them', () => {
    const dir = tempDir();
    const fullFiles = reporters.markdown({ file: fixtureFile, reportsDir: dir, declared: fixtureDeclared });
    expect(fullFiles).toEqual(['acceptance.md', 'acceptance.html', 'charts/']);
    expect(readdirSync(join(dir, 'charts')).sort()).toEqual([
      'bench-checkpoint-creation.svg',
      'timeline-kill-mid-tool-call.svg',
    ]);
    const before = ['acceptance.md', 'acceptance.html', 'charts/bench-checkpoint-creation.svg'].map((f) =>
      readFileSync(join(dir, f), 'utf8'),
    );

    const partial = {
      ...fixtureFile,
      selection: { ...full, only: ['checkpoint-creation'] },
      generatedAt: '2026-02-01T00:00:00.000Z',
    };
    const partialFiles = reporters.markdown({ file: partial, reportsDir: dir, declared: fixtureDeclared });
    expect(partialFiles).toEqual(['partial.md', 'partial.html', 'partial-charts/']);
    expect(readFileSync(join(dir, 'partial.md'), 'utf8')).toContain('](partial-charts/bench-checkpoint-creation.svg)');
    expect(existsSync(join(dir, 'partial-charts', 'bench-checkpoint-creation.svg'))).toBe(true);
    expect(
      ['acceptance.md', 'acceptance.html', 'charts/bench-checkpoint-creation.svg'].map((f) =>
        readFileSync(join(dir, f), 'utf8'),
      ),
    ).toEqual(before);
  });

  it('leaves no chart of an earlier run in the folder', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'charts'));
    writeFileSync(join(dir, 'charts', 'timeline-gone.svg'), '<svg/>');
    reporters.markdown({ file: fixtureFile, reportsDir: dir, declared: fixtureDeclared });
    expect(readdirSync(join(dir, 'charts')).sort()).toEqual([
      'bench-checkpoint-creation.svg',
      'timeline-kill-mid-tool-call.svg',
    ]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp') || f.includes('.old'))).toEqual([]);
  });
});
