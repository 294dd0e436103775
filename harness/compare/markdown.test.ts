import { describe, expect, it } from 'vitest';
import { benchFile } from './bench-fixture.js';
import { DEFAULT_COMPARE, type ComparisonRow } from './compare.js';
import { renderComparison } from './markdown.js';

const base = benchFile('aaa1111', 0.03, 1, 1, 11062);
const head = benchFile('bbb2222', 0.03, 2, 1, 11062);

function row(overrides: Partial<ComparisonRow>): ComparisonRow {
  return {
    id: 'checkpoint-creation/normal',
    stat: 'p50',
    base: 0.03,
    head: 0.03,
    ratio: 1,
    ci: [0.98, 1.02],
    verdict: 'no change',
    method: '2000+2000 samples',
    gated: false,
    ...overrides,
  };
}

describe('renderComparison', () => {
  it('calls an interval that reaches past the threshold inconclusive, and one inside it no change', () => {
    const md = renderComparison(
      base,
      head,
      [row({ stat: 'p99', ratio: 1.05, ci: [0.17, 6.45] }), row({})],
      DEFAULT_COMPARE,
    );
    expect(md).toMatch(/\| P99 \|.*0\.170 – 6\.450 \|.*inconclusive/);
    expect(md).toMatch(/\| P50 \|.*0\.980 – 1\.020 \|.*no change/);
  });

  it('charts head ÷ base per benchmark as one bar series, with lines at 1.0 and at the threshold, labels readable', () => {
    const rows = [
      row({ id: 'checkpoint-creation/agentos-saver-normal', ratio: 1.6, head: 0.048 }),
      row({ id: 'llm-cache-lookup/normal', ratio: 0.9, head: 0.027 }),
    ];
    const md = renderComparison(base, head, rows, DEFAULT_COMPARE);
    const chart = /```mermaid\n([\s\S]*?)```/.exec(md)?.[1] ?? '';
    expect(chart).toContain('xychart-beta horizontal');
    expect(chart.match(/^\s*bar /gm)).toHaveLength(1);
    expect(chart).toMatch(/bar \[0, 1\.6\d*, 0\.9\d*, 0\]/);
    expect(chart).toMatch(/line \[1, 1, 1, 1\]/);
    expect(chart).toMatch(/line \[1\.1, 1\.1, 1\.1, 1\.1\]/);
    expect(md).toMatch(/#0072B2/);
  });

  it('says why its sample counts are lower than the report’s: each round keeps at most 2,000 of its timings', () => {
    const md = renderComparison(base, head, [row({})], DEFAULT_COMPARE);
    expect(md).toContain('11062');
    expect(md).toMatch(/at most 2,000/);
  });
});
