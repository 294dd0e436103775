import { describe, expect, it } from 'vitest';
import { benchFile } from './bench-fixture.js';
import { DEFAULT_COMPARE, type ComparisonRow, type FileComparison } from './compare.js';
import { comparisonChart, renderComparison } from './markdown.js';

const base = benchFile('aaa1111', 0.03, 1, 3);
const head = benchFile('bbb2222', 0.03, 2, 3);

function row(overrides: Partial<ComparisonRow>): ComparisonRow {
  return {
    id: 'checkpoint-creation/normal',
    benchmark: 'checkpoint-creation',
    stat: 'p50',
    rounds: [3, 3],
    base: 0.03,
    head: 0.03,
    ratio: 1,
    spread: 0.02,
    bounds: [0.98, 1.02],
    verdict: 'no change',
    ...overrides,
  };
}

const result = (rows: ComparisonRow[]): FileComparison => ({
  rows,
  comparisons: rows.filter((r) => r.reason === undefined).length,
  alpha: 0.01 / Math.max(1, rows.filter((r) => r.reason === undefined).length),
  needed: { base: 0, head: 0 },
});

describe('renderComparison', () => {
  it('calls bounds that reach past the threshold inconclusive, and bounds inside it within noise', () => {
    const md = renderComparison(
      base,
      head,
      result([row({ id: 'tool-replay/normal', ratio: 1.05, bounds: [0.6, 1.8] }), row({})]),
      DEFAULT_COMPARE,
    );
    expect(md).toMatch(/\| tool-replay\/normal \| P50 \|.*0\.600 – 1\.800 \|.*inconclusive/);
    expect(md).toMatch(/\| checkpoint-creation\/normal \| P50 \|.*0\.980 – 1\.020 \| 2\.0 % \| ➖ within noise \|/);
    expect(md).toContain('2 gated comparison(s), each at α = 0.01 ÷ 2 = 0.50 %');
  });

  it('links the ratio chart when it was written, and draws each ratio with its bounds as a whisker', () => {
    const rows = [
      row({
        id: 'checkpoint-creation/agentos-saver-normal',
        ratio: 1.6,
        head: 0.048,
        bounds: [1.4, 1.8],
        verdict: 'regression',
      }),
      row({ id: 'llm-cache-lookup/normal', ratio: 0.9, head: 0.027, bounds: [0.85, 0.95] }),
    ];
    expect(renderComparison(base, head, result(rows), DEFAULT_COMPARE)).not.toContain('![');
    const md = renderComparison(base, head, result(rows), DEFAULT_COMPARE, [], 'c.svg');
    expect(md).toContain('![P50: head ÷ base, with its bounds](c.svg)');
    expect(md).toContain('the dashed vermillion line 1 + T = 1.1');
    const { svg } = comparisonChart(base, head, result(rows), DEFAULT_COMPARE);
    expect(svg).toContain('>1.6×</text>');
    expect(svg).toContain('>0.9×</text>');
    expect(svg).toContain('>1 + T = 1.1</text>');
    expect(svg).toContain('>head ÷ base P50: regression</text>');
    // Each whisker: a horizontal line and a cap at each end, in the ink colour.
    expect(
      svg.match(/<path d="M[\d.]+ [\d.]+L[\d.]+ [\d.]+"[^>]*stroke="#3d444d"[^>]*ecmeta_series_index="0"/g),
    ).toHaveLength(6);
  });

  it('puts the advice on adding rounds under the method, and ends with why nothing was gated', () => {
    const notGated = row({
      rounds: [1, 1],
      bounds: null,
      spread: null,
      verdict: 'not gated',
      reason: '1 + 1 round(s), 3 a side needed',
    });
    const md = renderComparison(base, head, { ...result([notGated]), needed: { base: 2, head: 2 } }, DEFAULT_COMPARE, [
      '**Not gated:** add rounds',
      '- base: `pnpm bench --rounds 2`',
    ]);
    expect(md).toContain('> **Not gated:** add rounds\n> - base: `pnpm bench --rounds 2`');
    expect(md).toMatch(/\| 1\+1 \| .* \| — \| — \| · not gated \(1 \+ 1 round\(s\), 3 a side needed\) \|/);
    expect(md.trimEnd().split('\n').at(-1)).toBe('**Not gated: fewer than 3 rounds a side.**');
  });
});
