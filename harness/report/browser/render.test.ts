import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { baselineChart } from '../../compare/baseline-markdown.js';
import { compareWithBaseline } from '../../compare/baseline.js';
import { benchRun, roundsFile } from '../../compare/bench-fixture.js';
import { DEFAULT_COMPARE, compareBenchFiles } from '../../compare/compare.js';
import { comparisonChart } from '../../compare/markdown.js';
import { useTempDir } from '../../../test/helpers/temp-db.js';
import { PACKAGE_ROOT } from '../../workers/build.js';
import type { Chart } from '../charts/echarts.js';
import { renderHtml } from '../html.js';
import { renderReport } from '../markdown.js';
import { fixtureBenchRuns, fixtureChartsDeclared, fixtureChartsFile, fixtureHistories } from '../report-fixture.js';
import { CHROMIUM_MISSING, findChromium } from './chromium.js';
import { linkedSvgs } from './pages.js';
import { checkInBrowser, launchChromium, type ReportPages } from './render.js';

const executablePath = findChromium();
if (!executablePath) console.warn(CHROMIUM_MISSING);
const screenshots = join(PACKAGE_ROOT, 'reports', 'screenshots');

/** A report's pages as the reporter writes them: the HTML, and the chart files its Markdown links. */
function pages(markdown: string, charts: readonly Chart[]): ReportPages {
  return {
    html: renderHtml(markdown, charts, 'charts'),
    charts: linkedSvgs(markdown).map((name) => ({ name, svg: charts.find((c) => `charts/${c.id}.svg` === name)?.svg })),
  };
}

/** One chart alone, as a report with nothing else. */
const alone = (chart: Chart): ReportPages =>
  pages(`# ${chart.title}\n\n![${chart.title}](charts/${chart.id}.svg)\n`, [chart]);

describe.skipIf(!executablePath)('reports and their charts in headless Chromium, light and dark', () => {
  const tempDir = useTempDir();
  // One browser for the file (each check opens pages of their own): a launch is about a second.
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium(executablePath!);
    return () => browser.close();
  });
  const check = (report: ReportPages, name: string, dir = screenshots) =>
    checkInBrowser(report, { browser, screenshotBase: join(dir, name) });

  it('fails on a chart file that is not a valid SVG, a chart missing, and a figure that draws nothing', async () => {
    const good: Chart = { id: 'good', title: 'Good', caption: '', svg: '' };
    const report = pages('# R\n\n![Broken](charts/broken.svg)\n\n![Missing](charts/missing.svg)\n', []);
    report.charts = [
      {
        name: 'charts/broken.svg',
        svg: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><path d="M0 0L5 5"</svg>',
      },
      { name: 'charts/missing.svg', svg: undefined },
    ];
    report.html = renderHtml(
      `# R\n\n![Empty](charts/good.svg)\n`,
      [{ ...good, svg: '<svg width="10" height="10"></svg>' }],
      'charts',
    );
    // Its screenshots are of no use once the test has run: a folder removed after it.
    const result = await check(report, 'broken', tempDir());
    expect(result.errors).toEqual([
      { where: 'inline chart 1', message: 'drew nothing' },
      { where: 'charts/broken.svg', message: 'did not render as an image (not a valid SVG, or missing)' },
      { where: 'charts/missing.svg', message: 'did not render as an image (not a valid SVG, or missing)' },
    ]);
    expect(result.rendered.light).toEqual({ inline: 0, files: 0 });
  });

  it('lists every URL a page asks for, and loads none', async () => {
    const report: ReportPages = {
      html: '<img src="https://example.com/x.png"><link rel="stylesheet" href="http://example.com/a.css">',
      charts: [],
    };
    const result = await check(report, 'external', tempDir());
    expect(result.requests.sort()).toEqual(['http://example.com/a.css', 'https://example.com/x.png']);
  });

  it('renders every chart of an acceptance report — timelines, latency histogram and CDF, benchmark targets, trend — light and dark, asking the network for nothing', async () => {
    const { markdown, charts } = renderReport(fixtureChartsFile, fixtureChartsDeclared, {
      histories: fixtureHistories,
      benchRuns: fixtureBenchRuns,
    });
    const result = await check(pages(markdown, charts), 'acceptance-fixture');
    expect(result.errors).toEqual([]);
    expect(result.requests).toEqual([]);
    expect(charts.map((c) => c.id.replace(/-.*/, ''))).toEqual(
      expect.arrayContaining(['timeline', 'bench', 'trend', 'latency']),
    );
    expect(result.inline).toBe(charts.length);
    const all = { inline: charts.length, files: charts.length };
    expect(result.rendered).toEqual({ light: all, dark: all });
    expect(result.screenshots).toHaveLength(2 * (2 + charts.length));
  });

  it('renders the comparison charts of bench:compare and bench:gate', async () => {
    const variants = [
      { id: 'checkpoint-creation/normal', center: 0.03 },
      { id: 'checkpoint-creation/full', center: 0.3 },
      { id: 'tool-replay/replay', center: 0.005 },
    ];
    const base = roundsFile('aaa1111', variants, 1, 3);
    const head = roundsFile('bbb2222', variants, 2, 3, { slowdown: { 'checkpoint-creation/normal': 1.5 } });
    const comparison = comparisonChart(base, head, compareBenchFiles(base, head), DEFAULT_COMPARE);
    const history = Array.from({ length: 6 }, (_, i) => benchRun(`h${i}`, variants, 10 + i, 300));
    const gate = baselineChart(head, compareWithBaseline(history, head, DEFAULT_COMPARE), DEFAULT_COMPARE);
    for (const [chart, name] of [
      [comparison, 'comparison-fixture'],
      [gate, 'bench-gate-fixture'],
    ] as const) {
      const result = await check(alone(chart), name);
      expect(result.errors).toEqual([]);
      expect(result.rendered.dark).toEqual({ inline: 1, files: 1 });
    }
  });
});
