// Opens HTML reports and the chart files their Markdown links in headless Chromium, light and dark: fails on a chart
// that does not render or a URL the page asks for, saves screenshots.
// Usage: tsx scripts/report-check.ts [report.html ...]   (default reports/acceptance.html)
import { basename, join } from 'node:path';
import { CHROMIUM_MISSING, findChromium } from '../harness/report/browser/chromium.js';
import { readReportPages } from '../harness/report/browser/pages.js';
import { checkInBrowser } from '../harness/report/browser/render.js';
import { PACKAGE_ROOT } from '../harness/workers/build.js';

const files = process.argv.slice(2);
const executablePath = findChromium();
if (!executablePath) {
  process.stderr.write(`report-check: ${CHROMIUM_MISSING}\n`);
  process.exit(2);
}
let failed = false;
for (const file of files.length > 0 ? files : [join(PACKAGE_ROOT, 'reports', 'acceptance.html')]) {
  const pages = readReportPages(file);
  const result = await checkInBrowser(pages, {
    executablePath,
    screenshotBase: join(PACKAGE_ROOT, 'reports', 'screenshots', basename(file, '.html')),
  });
  const { light, dark } = result.rendered;
  console.log(
    `${file}: ${result.inline} chart(s) inline, rendered ${light.inline} (light) and ${dark.inline} (dark); ` +
      `${pages.charts.length} chart file(s) linked, rendered ${light.files} (light) and ${dark.files} (dark); ${result.errors.length} error(s)`,
  );
  for (const e of result.errors) console.log(`  ${e.where}: ${e.message}`);
  if (result.requests.length > 0) console.log(`  asked the network for: ${result.requests.join(', ')}`);
  console.log(
    `  screenshots: ${result.screenshots
      .filter((s) => !s.includes('-chart-'))
      .map((s) => s.replace(`${PACKAGE_ROOT}/`, ''))
      .join(', ')} and one per chart`,
  );
  failed ||= result.errors.length > 0 || result.requests.length > 0;
}
process.exit(failed ? 1 : 0);
