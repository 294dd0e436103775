import { Marked } from 'marked';
import type { Chart } from './charts/echarts.js';

/** Light by default, GitHub's dark colours when the reader's system is dark; nothing loaded from elsewhere. */
const CSS = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --line: #d1d9e0; --code: #f6f8fa; --link: #0969da; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #f0f6fc; --muted: #9198a1; --bg: #0d1117; --line: #3d444d; --code: #151b23; --link: #4493f8; }
}
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
main { box-sizing: border-box; max-width: 1012px; margin: 0 auto; padding: 32px; }
a { color: var(--link); }
h1, h2 { border-bottom: 1px solid var(--line); padding-bottom: .3em; }
table { border-collapse: collapse; display: block; overflow-x: auto; margin: 1em 0; }
th, td { border: 1px solid var(--line); padding: 4px 10px; }
code, pre { background: var(--code); border-radius: 6px; font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; }
code { padding: .1em .35em; }
pre { padding: 12px; overflow-x: auto; }
pre code { padding: 0; }
blockquote { margin: 1em 0; padding: 0 1em; color: var(--muted); border-left: 4px solid var(--line); }
figure.chart { margin: 1em 0; }
figure.chart svg { max-width: 100%; height: auto; }
`;

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The report as one self-contained HTML page: the Markdown rendered by marked, each chart the Markdown links as
 * <chartsDir>/<id>.svg drawn inline in its place, embedded CSS for light and dark. No URL is loaded from anywhere.
 */
export function renderHtml(markdown: string, charts: readonly Chart[], chartsDir: string): string {
  const byFile = new Map(charts.map((c, i) => [`${chartsDir}/${c.id}.svg`, { chart: c, n: i }]));
  const marked = new Marked({ gfm: true });
  marked.use({
    renderer: {
      image({ href, text }) {
        const found = byFile.get(href);
        if (!found) return false;
        // ECharts names its clip paths zr<n>-c<k>: a prefix per chart keeps them apart on one page.
        const svg = found.chart.svg.replace(/\bzr(\d+)-/g, `chart${found.n}-zr$1-`);
        return `<figure class="chart" id="chart-${escape(found.chart.id)}" role="img" aria-label="${escape(text)}">${svg}</figure>`;
      },
    },
  });
  const title = /^# (.*)$/m.exec(markdown)?.[1] ?? 'Report';
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>` +
    `<style>${CSS}</style></head>\n<body><main>\n${marked.parse(markdown, { async: false })}</main></body></html>\n`
  );
}
