import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../harness/workers/build.js';
import { loadMigrations } from '../src/migrations.js';
import { reachable } from './helpers/imports.js';

const DRIVERS = ['better-sqlite3', 'pg'];

describe('one core over two stores', () => {
  const core = join(PACKAGE_ROOT, 'src/core');
  const services = readdirSync(core).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

  it.each(services)('src/core/%s reaches neither database driver, through any import', (file) => {
    const { files, packages } = reachable(join(core, file));
    expect(packages.filter((p) => DRIVERS.includes(p))).toEqual([]);
    expect(files.filter((f) => f.includes('/src/sqlite/') || f.includes('/src/pg/'))).toEqual([]);
  });

  it('the walk sees a driver where there is one', () => {
    expect(reachable(join(PACKAGE_ROOT, 'src/pg/db.ts')).packages).toContain('pg');
    expect(reachable(join(PACKAGE_ROOT, 'src/sqlite/db.ts')).packages).toContain('better-sqlite3');
  });

  it('numbers the migrations once for both stores: version N is the same change on each', () => {
    const names = (backend: 'sqlite' | 'postgres') => loadMigrations(backend).map((m) => `${m.version}:${m.name}`);
    expect(names('postgres')).toEqual(names('sqlite'));
    expect(loadMigrations('postgres').every((m) => m.sql.trim().length > 0)).toBe(true);
  });
});
