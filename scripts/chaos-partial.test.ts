import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../harness/workers/build.js';
import { useTempDir } from '../test/helpers/temp-db.js';

/** `pnpm chaos` in a project of its own, so the repository's reports/ is never touched. */
function chaos(cwd: string, ...args: string[]) {
  return execa(join(PACKAGE_ROOT, 'node_modules/.bin/tsx'), [join(PACKAGE_ROOT, 'scripts/chaos.ts'), ...args], {
    cwd,
    reject: false,
    env: { CI: 'true' },
  });
}

describe('pnpm chaos (a partial run)', () => {
  const tempDir = useTempDir();

  it('writes its own report, page, charts and results, says which, and leaves the last full run’s byte-identical', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'package.json'), '{ "name": "partial-run", "type": "module" }\n');
    const reports = join(root, 'reports');
    mkdirSync(reports);
    const full = '# The last full run\n\nVerdict: all 32/32 passed.\n';
    const fullResults = '{ "schema": "agentos-chaos/results@1", "results": "of the last full run" }\n';
    writeFileSync(join(reports, 'acceptance.md'), full);
    writeFileSync(join(reports, 'results.json'), fullResults);
    const page = '<!doctype html><title>The last full run</title>\n';
    writeFileSync(join(reports, 'acceptance.html'), page);
    mkdirSync(join(reports, 'charts'));
    writeFileSync(join(reports, 'charts', 'timeline-kill9-recovery.svg'), '<svg>the last full run</svg>');

    const run = await chaos(root, '--builtin', '--only', 'kill9-recovery');
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    expect(readFileSync(join(reports, 'acceptance.md'), 'utf8')).toBe(full);
    expect(readFileSync(join(reports, 'results.json'), 'utf8')).toBe(fullResults);
    expect(readFileSync(join(reports, 'acceptance.html'), 'utf8')).toBe(page);
    expect(readdirSync(join(reports, 'charts'))).toEqual(['timeline-kill9-recovery.svg']);
    expect(readFileSync(join(reports, 'charts', 'timeline-kill9-recovery.svg'), 'utf8')).toBe(
      '<svg>the last full run</svg>',
    );

    expect(run.stdout).toContain(
      'Partial run (--only kill9-recovery): wrote reports/partial.md; reports/acceptance.md, reports/acceptance.html and reports/results.json (the last full run) were left as they were.',
    );
    const partial = readFileSync(join(reports, 'partial.md'), 'utf8');
    expect(partial).toContain('> Partial run: --only kill9-recovery.');
    expect(partial).toContain('](partial-charts/timeline-kill9-recovery.svg)');
    expect(readdirSync(join(reports, 'partial-charts'))).toEqual(['timeline-kill9-recovery.svg']);
    expect(readFileSync(join(reports, 'partial.html'), 'utf8')).toContain(
      '<figure class="chart" id="chart-timeline-kill9-recovery"',
    );
    expect(partial).toMatch(/### 1\. Kill -9 recovery — ✅ passed/);
    const results = JSON.parse(readFileSync(join(reports, 'partial-results.json'), 'utf8')) as {
      selection: { only: string[] };
      results: { id: string; state: string }[];
    };
    expect(results.selection.only).toEqual(['kill9-recovery']);
    expect(results.results).toEqual([expect.objectContaining({ id: 'kill9-recovery', state: 'passed' })]);
    expect(existsSync(join(reports, 'runs/kill9-recovery/history.jsonl'))).toBe(true);
  });
});
