import { describe, expect, it } from 'vitest';
import { renderHtml } from './html.js';
import { renderReport } from './markdown.js';
import { fixtureBenchRuns, fixtureChartsDeclared, fixtureChartsFile, fixtureHistories } from './report-fixture.js';

describe('renderHtml', () => {
  const { markdown, charts } = renderReport(fixtureChartsFile, fixtureChartsDeclared, {
    histories: fixtureHistories,
    benchRuns: fixtureBenchRuns,
  });
  const html = renderHtml(markdown, charts, 'charts');

  it('draws every chart the Markdown links inline, in its place, and links none', () => {
    expect(charts.length).toBeGreaterThanOrEqual(6);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(charts.length);
    for (const chart of charts) expect(html).toContain(`<figure class="chart" id="chart-${chart.id}"`);
    expect(html).not.toContain('.svg"');
    expect(html).toContain('<h1>AgentOS recovery layer — acceptance report</h1>');
  });

  it('is self-contained: no src or href to another site, no script, no external stylesheet', () => {
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link /i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
  });

  it('reads in light and dark: CSS for both colour schemes, and each chart’s own dark style', () => {
    expect(html).toContain('color-scheme: light dark');
    expect(html).toContain('@media (prefers-color-scheme: dark)');
    for (const chart of charts) expect(chart.svg).toContain('@media (prefers-color-scheme: dark)');
  });

  it('keeps the charts’ clip-path ids apart on one page', () => {
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
