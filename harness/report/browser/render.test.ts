import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchFile } from '../../compare/bench-fixture.js';
import { DEFAULT_COMPARE, compareBenchFiles } from '../../compare/compare.js';
import { renderComparison } from '../../compare/markdown.js';
import { useTempDir } from '../../../test/helpers/temp-db.js';
import { PACKAGE_ROOT } from '../../workers/build.js';
import { renderMarkdown } from '../markdown.js';
import { fixtureBenchRuns, fixtureDeclared, fixtureFile, fixtureHistories } from '../report-fixture.js';
import { CHROMIUM_MISSING, findChromium } from './chromium.js';
import { checkInBrowser } from './render.js';

const executablePath = findChromium();
if (!executablePath) console.warn(CHROMIUM_MISSING);
const screenshots = join(PACKAGE_ROOT, 'reports', 'screenshots');

describe.skipIf(!executablePath)('reports rendered in headless Chromium (GitHub CSS, Mermaid from npm)', () => {
  const tempDir = useTempDir();
  const check = (markdown: string, name: string, dir = screenshots) =>
    checkInBrowser(markdown, { executablePath: executablePath!, screenshotBase: join(dir, name) });

  it('renders every chart of an acceptance report — benchmark targets, latency distribution, timeline, trend — light and dark', async () => {
    const markdown = renderMarkdown(fixtureFile, fixtureDeclared, {
      histories: fixtureHistories,
      benchRuns: fixtureBenchRuns,
    });
    const result = await check(markdown, 'acceptance-fixture');
    expect(result.errors).toEqual([]);
    expect(result.diagrams).toBeGreaterThanOrEqual(4);
    expect(result.rendered).toEqual({ light: result.diagrams, dark: result.diagrams });
    expect(result.screenshots).toHaveLength(2 * (2 + result.diagrams));
  });

  it('renders the bench:compare chart', async () => {
    const base = benchFile('aaa1111', 0.03, 1);
    const head = benchFile('bbb2222', 0.045, 2);
    const result = await check(
      renderComparison(base, head, compareBenchFiles(base, head), DEFAULT_COMPARE),
      'comparison-fixture',
    );
    expect(result.errors).toEqual([]);
    expect(result.rendered.light).toBe(1);
  });

  it('fails on a Mermaid syntax error', async () => {
    const broken = ['# Broken', '', '```mermaid', 'xychart-beta', '  x-axis ["a", "b"]', '  bar [1, 2', '```', ''].join(
      '\n',
    );
    // Its screenshots are of no use once the test has run: a folder removed after it.
    const result = await check(broken, 'broken', tempDir());
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.message).toMatch(/parse|expect|error/i);
  });
});
