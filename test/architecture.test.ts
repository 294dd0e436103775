import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../harness/workers/build.js';
import { reachable } from './helpers/imports.js';

const DRIVERS = ['better-sqlite3', 'pg'];

describe('one core over two stores', () => {
  const core = join(ROOT, 'src/core');
  const services = readdirSync(core).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

  it.each(services)('src/core/%s reaches neither database driver, through any import', (file) => {
    const { files, packages } = reachable(join(core, file));
    expect(packages.filter((p) => DRIVERS.includes(p))).toEqual([]);
    expect(files.filter((f) => f.includes('/src/sqlite/') || f.includes('/src/pg/'))).toEqual([]);
  });

  it('the walk sees a driver where there is one', () => {
    expect(reachable(join(ROOT, 'src/pg/db.ts')).packages).toContain('pg');
    expect(reachable(join(ROOT, 'src/db.ts')).packages).toContain('better-sqlite3');
  });
});
