import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export type Theme = 'light' | 'dark';

/** What the browser check is given: the self-contained HTML report, and the chart files its Markdown links. */
export interface ReportPages {
  html: string;
  /** Each chart file as the Markdown links it: its name (charts/<id>.svg) and its text, undefined when missing. */
  charts: { name: string; svg: string | undefined }[];
}

/** A chart that did not render, named by where it is: "acceptance.html, chart 3" or its file name. */
export interface ChartError {
  where: string;
  message: string;
}

export interface RenderCheck {
  /** Charts inline in the HTML report. */
  inline: number;
  /** Inline charts that drew something, and chart files that loaded as images, per theme. */
  rendered: Record<Theme, { inline: number; files: number }>;
  errors: ChartError[];
  /** URLs the HTML page asked for (it must ask for none: each was refused). */
  requests: string[];
  screenshots: string[];
}

export type RenderOptions = RenderSettings &
  /** The browser: launched from executablePath for the check, or one already open (left open, e.g. for a test file). */
  ({ executablePath: string } | { browser: Browser });

interface RenderSettings {
  /** Screenshots: <base>-<theme>-top.png, <base>-<theme>-full.jpeg and <base>-<theme>-chart-<n>.png per chart. */
  screenshotBase: string;
  themes?: readonly Theme[];
}

/** The little of the DOM the page-side code uses (this project compiles without the DOM library). */
interface PageElement {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  getBoundingClientRect(): { width: number; height: number };
  complete: boolean;
  naturalWidth: number;
  title: string;
}
interface PageGlobals {
  document: { querySelectorAll(selector: string): ArrayLike<PageElement> };
}

/** Inline charts with no drawing in them, or drawn at no size; returns how many did draw. */
async function checkInline(p: Page): Promise<{ rendered: number; errors: ChartError[] }> {
  const failures = await p.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return Array.from(document.querySelectorAll('figure.chart')).map((figure) => {
      const svg = figure.querySelector('svg');
      if (!svg) return 'no SVG in the figure';
      const box = svg.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) return 'drawn at no size';
      if (svg.querySelectorAll('path, rect, line, polyline').length === 0) return 'drew nothing';
      if (svg.querySelectorAll('text').length === 0) return 'has no text (title, axes, legend)';
      return '';
    });
  });
  return {
    rendered: failures.filter((f) => f === '').length,
    errors: failures.flatMap((message, i) => (message ? [{ where: `inline chart ${i + 1}`, message }] : [])),
  };
}

/** Each chart file as an <img>, as a Markdown viewer shows it: one that does not decode has naturalWidth 0. */
async function checkFiles(p: Page): Promise<{ rendered: number; errors: ChartError[] }> {
  const failures = await p.evaluate(async () => {
    const { document } = globalThis as unknown as PageGlobals;
    const images = Array.from(document.querySelectorAll('img.chart-file'));
    // Wait for every image to load or fail: decode() rejects on a broken one.
    await Promise.allSettled(images.map((img) => (img as unknown as { decode(): Promise<void> }).decode()));
    return images.map((img) => (img.complete && img.naturalWidth > 0 ? '' : img.title));
  });
  return {
    rendered: failures.filter((f) => f === '').length,
    errors: failures.flatMap((name) =>
      name ? [{ where: name, message: 'did not render as an image (not a valid SVG, or missing)' }] : [],
    ),
  };
}

const filesPage = (charts: ReportPages['charts'], theme: Theme): string =>
  `<!doctype html><html><head><meta charset="utf-8"><style>body { margin: 16px; background: ${theme === 'dark' ? '#0d1117' : '#ffffff'}; } img { display: block; margin: 0 0 16px; }</style></head><body>` +
  charts
    .map(
      (c) =>
        `<img class="chart-file" title="${c.name}" src="data:image/svg+xml;base64,${Buffer.from(c.svg ?? '').toString('base64')}">`,
    )
    .join('\n') +
  '</body></html>';

/** Headless Chromium as the check starts it. */
export function launchChromium(executablePath: string): Promise<Browser> {
  // As root (CI) Chromium's sandbox cannot start; the pages are our own, loaded from strings.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
}

/**
 * Opens the HTML report and, as images, the chart files its Markdown links in headless Chromium, once per colour
 * scheme; reports every chart that does not render and every URL the page asks for (all refused: it must need no
 * network), and saves screenshots for a person to look at.
 */
export async function checkInBrowser(report: ReportPages, options: RenderOptions): Promise<RenderCheck> {
  const themes = options.themes ?? ['light', 'dark'];
  mkdirSync(dirname(options.screenshotBase), { recursive: true });
  const browser = 'browser' in options ? options.browser : await launchChromium(options.executablePath);
  const result: RenderCheck = {
    inline: (report.html.match(/<figure class="chart"/g) ?? []).length,
    rendered: { light: { inline: 0, files: 0 }, dark: { inline: 0, files: 0 } },
    errors: [],
    requests: [],
    screenshots: [],
  };
  try {
    for (const theme of themes) {
      const p = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme: theme });
      await p.route('**/*', async (route) => {
        result.requests.push(route.request().url());
        await route.abort();
      });
      await p.setContent(report.html, { waitUntil: 'load' });
      const inline = await checkInline(p);
      const top = `${options.screenshotBase}-${theme}-top.png`;
      const full = `${options.screenshotBase}-${theme}-full.jpeg`;
      await p.screenshot({ path: top });
      await p.screenshot({ path: full, fullPage: true, type: 'jpeg', quality: 80 });
      result.screenshots.push(top, full);
      // Each chart on its own, to look at without scrolling a long page.
      for (const [i, chart] of (await p.locator('figure.chart').all()).entries()) {
        const path = `${options.screenshotBase}-${theme}-chart-${i + 1}.png`;
        await chart.screenshot({ path });
        result.screenshots.push(path);
      }
      await p.unroute('**/*');
      await p.setContent(filesPage(report.charts, theme), { waitUntil: 'load' });
      const files = await checkFiles(p);
      result.rendered[theme] = { inline: inline.rendered, files: files.rendered };
      if (theme === themes[0]) result.errors.push(...inline.errors, ...files.errors);
      await p.close();
    }
  } finally {
    if (!('browser' in options)) await browser.close();
  }
  result.requests = [...new Set(result.requests)];
  return result;
}
