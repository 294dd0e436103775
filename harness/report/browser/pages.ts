import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ReportPages } from './render.js';

/** The SVG files a Markdown report links as images ("![title](charts/x.svg)"), in order. */
export function linkedSvgs(markdown: string): string[] {
  return [...markdown.matchAll(/!\[[^\]]*\]\(([^)\s]+\.svg)\)/g)].map((m) => m[1]!);
}

/** A written report, for the browser check: <name>.html, and each SVG that <name>.md beside it links (undefined if missing). */
export function readReportPages(htmlPath: string): ReportPages {
  const markdownPath = htmlPath.replace(/\.html$/, '.md');
  const markdown = existsSync(markdownPath) ? readFileSync(markdownPath, 'utf8') : '';
  return {
    html: readFileSync(htmlPath, 'utf8'),
    charts: linkedSvgs(markdown).map((name) => {
      const path = join(dirname(markdownPath), name);
      return { name, svg: existsSync(path) ? readFileSync(path, 'utf8') : undefined };
    }),
  };
}
