import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../harness/workers/build.js';

/** Every module specifier a source file imports (static, type-only and dynamic). */
function specifiers(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** The files reachable from an entry through relative imports, and the packages they import. */
function reachable(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else packages.add(spec);
    }
  };
  visit(entry);
  return { files: [...files], packages: [...packages] };
}

describe('entry points', () => {
  it('the layer (src/index.ts) reaches no LangGraph package and not the saver: users who do not use LangGraph never load it', () => {
    const { files, packages } = reachable(join(ROOT, 'src/index.ts'));
    expect(files.length).toBeGreaterThan(10);
    expect(packages.filter((p) => p.startsWith('@langchain/'))).toEqual([]);
    expect(files.filter((f) => f.includes('/langgraph/'))).toEqual([]);
    // The saver's own entry does import it: the walk sees packages.
    expect(reachable(join(ROOT, 'src/langgraph/index.ts')).packages).toContain('@langchain/langgraph-checkpoint');
  });

  it('package.json exports the saver as its own entry, with LangGraph as an optional peer', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(pkg.exports?.['./langgraph']).toBe('./src/langgraph/index.ts');
    expect(pkg.peerDependenciesMeta?.['@langchain/langgraph-checkpoint']).toEqual({ optional: true });
    expect(pkg.dependencies?.['@langchain/langgraph-checkpoint']).toBeUndefined();
    const entry = (await import(join(ROOT, pkg.exports?.['./langgraph'] as string))) as Record<string, unknown>;
    expect(Object.keys(entry).sort()).toEqual([
      'AgentosSaver',
      'THREAD_LEASE_PREFIX',
      'TaskEvidenceError',
      'ThreadBusyError',
    ]);
  });
});
