import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Marked } from 'marked';
import { chromium, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);

export type Theme = 'light' | 'dark';

/** A Mermaid block that did not render, with the start of its source to find it by. */
export interface DiagramError {
  index: number;
  message: string;
  source: string;
}

export interface RenderCheck {
  /** Mermaid blocks found in the Markdown. */
  diagrams: number;
  /** Blocks rendered to an SVG with at least one drawn mark, per theme. */
  rendered: Record<Theme, number>;
  errors: DiagramError[];
  screenshots: string[];
}

export interface RenderOptions {
  executablePath: string;
  /** Screenshots: <base>-<theme>-top.png (the first screen), <base>-<theme>-full.jpeg and <base>-<theme>-chart-<n>.png. */
  screenshotBase: string;
  themes?: readonly Theme[];
}

/** The little of the DOM the page-side code uses (this project compiles without the DOM library). */
interface PageElement {
  textContent: string | null;
  innerHTML: string;
  replaceWith(node: PageElement): void;
  className: string;
  querySelector(selector: string): PageElement | null;
  remove(): void;
}
interface PageGlobals {
  document: {
    querySelectorAll(selector: string): Iterable<PageElement> & ArrayLike<PageElement>;
    createElement(tag: string): PageElement;
  };
  mermaid: {
    initialize(config: object): void;
    parse(text: string): Promise<unknown>;
    render(id: string, text: string): Promise<{ svg: string }>;
  };
}

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The Markdown as GitHub lays it out (its CSS), each Mermaid block kept as source in a <pre class="mermaid">. */
function page(markdown: string, theme: Theme): string {
  const marked = new Marked({ gfm: true });
  marked.use({
    renderer: {
      code({ text, lang }) {
        return lang === 'mermaid' ? `<pre class="mermaid-source">${escape(text)}</pre>\n` : false;
      },
    },
  });
  const css = readFileSync(require.resolve(`github-markdown-css/github-markdown-${theme}.css`), 'utf8');
  const background = theme === 'dark' ? '#0d1117' : '#ffffff';
  return `<!doctype html><html><head><meta charset="utf-8"><style>${css}
body { background: ${background}; margin: 0; } .markdown-body { box-sizing: border-box; max-width: 1012px; margin: 0 auto; padding: 32px; }
</style></head><body><article class="markdown-body">${marked.parse(markdown, { async: false })}</article></body></html>`;
}

/** Renders every Mermaid block in the page with the mermaid npm package; returns the ones that failed. */
async function renderDiagrams(p: Page, theme: Theme): Promise<{ rendered: number; errors: DiagramError[] }> {
  await p.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
  return p.evaluate(
    async (mermaidTheme) => {
      const { document, mermaid } = globalThis as unknown as PageGlobals;
      mermaid.initialize({ startOnLoad: false, theme: mermaidTheme, securityLevel: 'strict' });
      const errors: { index: number; message: string; source: string }[] = [];
      let rendered = 0;
      const blocks = Array.from(document.querySelectorAll('pre.mermaid-source'));
      for (const [index, block] of blocks.entries()) {
        const source = block.textContent ?? '';
        try {
          await mermaid.parse(source);
          const { svg } = await mermaid.render(`diagram-${index}`, source);
          const holder = document.createElement('div');
          holder.className = 'rendered-diagram';
          holder.innerHTML = svg;
          block.replaceWith(holder);
          // A chart that parsed but drew nothing (no bar, no line) shows no data.
          if (holder.querySelector('svg rect, svg path, svg line')) rendered++;
          else errors.push({ index, message: 'rendered an empty chart', source: source.slice(0, 200) });
        } catch (error) {
          errors.push({
            index,
            message: error instanceof Error ? error.message : String(error),
            source: source.slice(0, 200),
          });
        }
      }
      // Mermaid leaves the scratch element of a failed render in the body.
      for (const leftover of Array.from(document.querySelectorAll('body > [id^="ddiagram-"], body > [id^="diagram-"]')))
        leftover.remove();
      return { rendered, errors };
    },
    theme === 'dark' ? 'dark' : 'default',
  );
}

/**
 * Renders Markdown as GitHub shows it (marked, GitHub's CSS, Mermaid from npm) in headless Chromium, once per theme,
 * reports every Mermaid block that fails to parse or render, and saves screenshots for a person to look at.
 */
export async function checkInBrowser(markdown: string, options: RenderOptions): Promise<RenderCheck> {
  const themes = options.themes ?? ['light', 'dark'];
  mkdirSync(dirname(options.screenshotBase), { recursive: true });
  // As root (CI) Chromium's sandbox cannot start; the page is our own report, loaded from a string.
  const browser = await chromium.launch({
    executablePath: options.executablePath,
    headless: true,
    args: ['--no-sandbox'],
  });
  const result: RenderCheck = {
    diagrams: (markdown.match(/^```mermaid$/gm) ?? []).length,
    rendered: { light: 0, dark: 0 },
    errors: [],
    screenshots: [],
  };
  try {
    for (const theme of themes) {
      const p = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: theme });
      await p.setContent(page(markdown, theme));
      const { rendered, errors } = await renderDiagrams(p, theme);
      result.rendered[theme] = rendered;
      if (theme === themes[0]) result.errors.push(...errors);
      const top = `${options.screenshotBase}-${theme}-top.png`;
      const full = `${options.screenshotBase}-${theme}-full.jpeg`;
      await p.screenshot({ path: top });
      await p.screenshot({ path: full, fullPage: true, type: 'jpeg', quality: 80 });
      result.screenshots.push(top, full);
      // Each chart on its own, to look at without scrolling a long page.
      for (const [i, chart] of (await p.locator('.rendered-diagram').all()).entries()) {
        const path = `${options.screenshotBase}-${theme}-chart-${i + 1}.png`;
        await chart.screenshot({ path });
        result.screenshots.push(path);
      }
      await p.close();
    }
  } finally {
    await browser.close();
  }
  return result;
}
