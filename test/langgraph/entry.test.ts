import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../harness/workers/build.js';
import { reachable } from '../helpers/imports.js';

describe('entry points', () => {
  it('the layer (src/index.ts) reaches no LangGraph package and not the saver: users who do not use LangGraph never load it', () => {
    const { files, packages } = reachable(join(PACKAGE_ROOT, 'src/index.ts'));
    expect(files.length).toBeGreaterThan(10);
    expect(packages.filter((p) => p.startsWith('@langchain/'))).toEqual([]);
    expect(files.filter((f) => f.includes('/langgraph/'))).toEqual([]);
    // The saver's own entry does import it: the walk sees packages.
    expect(reachable(join(PACKAGE_ROOT, 'src/langgraph/index.ts')).packages).toContain(
      '@langchain/langgraph-checkpoint',
    );
  });

  it('package.json exports the saver as its own entry, with LangGraph as an optional peer', async () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    expect(pkg.exports?.['./langgraph']).toEqual({
      types: './dist/src/langgraph/index.d.ts',
      default: './dist/src/langgraph/index.js',
    });
    expect(pkg.peerDependenciesMeta?.['@langchain/langgraph-checkpoint']).toEqual({ optional: true });
    expect(pkg.dependencies?.['@langchain/langgraph-checkpoint']).toBeUndefined();
    // The source that `pnpm build` compiles into that entry (test/package/packed.test.ts imports the built one).
    const entry = (await import(join(PACKAGE_ROOT, 'src/langgraph/index.ts'))) as Record<string, unknown>;
    expect(Object.keys(entry).sort()).toEqual([
      'AgentosSaver',
      'THREAD_LEASE_PREFIX',
      'TaskEvidenceError',
      'ThreadBusyError',
    ]);
  });
});
