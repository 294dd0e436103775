import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../../harness/load.js';
import { runScenario } from '../../harness/run/scenario.js';
import { PACKAGE_ROOT } from '../../harness/workers/build.js';
import { DEFAULT_PG_URL, pgUrl } from '../../harness/postgres/pg-server.js';
import { SCHEMA_LABELS, loadMigrations } from '../../src/index.js';
import { useTempDir } from '../helpers/temp-db.js';
import { pgSkipReason } from '../helpers/temp-pg.js';

const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
const tsBlocks = (markdown: string): string[] => [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
const codeBlocks = tsBlocks(readme);

describe('README', () => {
  const tempDir = useTempDir();

  it('starts with the two set-up commands', () => {
    const firstBlock = readme.split('```')[1] ?? '';
    expect(firstBlock).toContain('pnpm install && pnpm chaos');
    expect(firstBlock).toContain('pnpm test');
  });

  it('shows examples/quickstart.ts verbatim, and it runs', async () => {
    const source = readFileSync(join(PACKAGE_ROOT, 'examples/quickstart.ts'), 'utf8');
    expect(codeBlocks).toContain(source);
    const { stdout } = await execa('tsx', ['examples/quickstart.ts'], { cwd: PACKAGE_ROOT, preferLocal: true });
    expect(stdout).toContain(`schema v${SCHEMA_LABELS[loadMigrations().length]}`);
    expect(stdout).toContain('replayed: true');
    expect(stdout).toMatch(/task task-2: succeeded/);
  });

  it.skipIf(pgSkipReason !== undefined)('links to the PostgreSQL guide, whose example runs as written', async () => {
    expect(readme).toContain('docs/postgres.md');
    const guide = readFileSync(join(PACKAGE_ROOT, 'docs/postgres.md'), 'utf8');
    const command = /pnpm tsx (examples\/postgres\.ts \S+)/.exec(guide);
    expect(command).not.toBeNull();
    const [script = '', url = ''] = command?.[1]?.split(' ') ?? [];
    // The guide's URL is this machine's server; elsewhere the one the PG* variables name.
    const { stdout } = await execa('tsx', [script, url === DEFAULT_PG_URL ? pgUrl() : url], {
      cwd: PACKAGE_ROOT,
      preferLocal: true,
    });
    expect(stdout).toContain('host-b took job-1 at epoch 2');
    expect(stdout).toMatch(/host-a's late write refused: .*epoch 1 refused: the item is now at epoch 2/);
  });

  it('links to the scenario guide, whose example file validates and passes as written', async () => {
    expect(readme).toContain('docs/harness.md#adding-a-fault-scenario');
    const guide = readFileSync(join(PACKAGE_ROOT, 'docs/harness.md'), 'utf8');
    expect(guide).toContain('\n## Adding a fault scenario\n');
    const example = tsBlocks(guide).find((b) => b.includes('defineScenario('));
    expect(example).toBeDefined();
    const root = tempDir();
    mkdirSync(join(root, 'scenarios/chaos'), { recursive: true });
    const define = pathToFileURL(join(PACKAGE_ROOT, 'harness/define.ts')).href;
    writeFileSync(
      join(root, 'scenarios/chaos/11-kill-while-waiting.ts'),
      example!.replace('../../harness/define.js', define),
    );
    const [loaded] = await loadScenarios(join(root, 'scenarios'));
    if (loaded?.category !== 'chaos') throw new Error('the example did not load as a chaos scenario');
    expect(loaded.id).toBe('kill-while-waiting');
    const result = await runScenario(loaded.scenario, { seed: 7, runsDir: join(root, 'runs') });
    expect(result.state === 'failed' ? result.reasons : []).toEqual([]);
    expect(result.vacuity.every((v) => v.fired)).toBe(true);
  });
});
