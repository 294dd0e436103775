// Renders Markdown reports as GitHub shows them in headless Chromium: fails on any Mermaid error, saves screenshots.
// Usage: tsx scripts/report-check.ts [report.md ...]   (default reports/acceptance.md)
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CHROMIUM_MISSING, findChromium } from '../harness/report/browser/chromium.js';
import { checkInBrowser } from '../harness/report/browser/render.js';
import { PACKAGE_ROOT } from '../harness/workers/build.js';

const files = process.argv.slice(2);
const executablePath = findChromium();
if (!executablePath) {
  process.stderr.write(`report-check: ${CHROMIUM_MISSING}\n`);
  process.exit(2);
}
let failed = false;
for (const file of files.length > 0 ? files : [join(PACKAGE_ROOT, 'reports', 'acceptance.md')]) {
  const result = await checkInBrowser(readFileSync(file, 'utf8'), {
    executablePath,
    screenshotBase: join(PACKAGE_ROOT, 'reports', 'screenshots', basename(file, '.md')),
  });
  console.log(
    `${file}: ${result.diagrams} Mermaid chart(s), rendered ${result.rendered.light} (light) and ${result.rendered.dark} (dark); ${result.errors.length} error(s)`,
  );
  for (const e of result.errors)
    console.log(
      `  chart ${e.index + 1}: ${e.message.split('\n')[0]}\n    ${e.source.split('\n').slice(0, 3).join('\n    ')}`,
    );
  console.log(
    `  screenshots: ${result.screenshots
      .filter((s) => !s.includes('-chart-'))
      .map((s) => s.replace(`${PACKAGE_ROOT}/`, ''))
      .join(', ')} and one per chart`,
  );
  failed ||= result.errors.length > 0;
}
process.exit(failed ? 1 : 0);
