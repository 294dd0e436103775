import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from './workers/build.js';

describe('loading the declarations', () => {
  it('validates every declaration without loading better-sqlite3 (neither its module nor its native addon)', () => {
    const script =
      "const { loadScenarios } = await import('./harness/load.js');" +
      'const loaded = await loadScenarios();' +
      "const { createRequire } = await import('node:module');" +
      "const cjs = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('better-sqlite3'));" +
      "const native = process.report.getReport().sharedObjects.filter((o) => o.endsWith('.node'));" +
      'console.log(JSON.stringify({ loaded: loaded.length, native: [...cjs, ...native] }));';
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: PACKAGE_ROOT,
      encoding: 'utf8',
    });
    const { loaded, native } = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as {
      loaded: number;
      native: string[];
    };
    expect(loaded).toBeGreaterThan(0);
    expect(native).toEqual([]);
  });
});
