import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { copyOfFixture, fixtureOf, sharedFixture, withFixture } from './fixtures.js';

describe('bench fixtures', () => {
  const tempDir = useTempDir();

  it('makes a fixture once and gives every variant a copy of its own', async () => {
    const dir = tempDir();
    const context = { fixturesDir: join(dir, 'fixtures'), durability: 'normal' };
    let made = 0;
    const make = async (path: string) => {
      made++;
      writeFileSync(path, 'filled');
    };
    await copyOfFixture(context, 'thread-1k', join(dir, 'a.db'), make);
    await copyOfFixture(context, 'thread-1k', join(dir, 'b.db'), make);
    writeFileSync(join(dir, 'a.db'), 'changed by variant a');
    expect(made).toBe(1);
    expect(readFileSync(join(dir, 'b.db'), 'utf8')).toBe('filled');
    // Another durability is another fixture.
    await copyOfFixture({ ...context, durability: 'full' }, 'thread-1k', join(dir, 'c.db'), make);
    expect(made).toBe(2);
  });

  it('leaves no fixture behind when making it fails, or when it leaves a -wal file', async () => {
    const dir = tempDir();
    const context = { fixturesDir: join(dir, 'fixtures'), durability: 'normal' };
    await expect(
      copyOfFixture(context, 'broken', join(dir, 'a.db'), () => Promise.reject(new Error('fill failed'))),
    ).rejects.toThrow('fill failed');
    await expect(
      copyOfFixture(context, 'unclosed', join(dir, 'a.db'), async (path) => {
        writeFileSync(path, 'db');
        writeFileSync(`${path}-wal`, 'wal');
      }),
    ).rejects.toThrow('fixture unclosed: its -wal file was left beside it');
    expect(readdirSync(context.fixturesDir)).toEqual([]);
    expect(existsSync(join(dir, 'a.db'))).toBe(false);
  });

  it('shares a fixture made once: the first variant names what it made, the others get that name', async () => {
    const context = { fixturesDir: join(tempDir(), 'fixtures'), durability: 'normal' };
    let made = 0;
    const make = async () => void made++;
    expect(await sharedFixture(context, 'schema-1k', 'bench_a', make)).toBe('bench_a');
    expect(await sharedFixture(context, 'schema-1k', 'bench_b', make)).toBe('bench_a');
    expect(await sharedFixture({ ...context, durability: 'full' }, 'schema-1k', 'bench_c', make)).toBe('bench_c');
    expect(made).toBe(2);
    // A maker that fails names nothing: the next variant makes it again.
    await expect(
      sharedFixture(context, 'schema-10k', 'bench_d', () => Promise.reject(new Error('fill failed'))),
    ).rejects.toThrow('fill failed');
    expect(await sharedFixture(context, 'schema-10k', 'bench_e', make)).toBe('bench_e');
  });

  it('names the fixture a subject starts from', () => {
    expect(fixtureOf(withFixture('thread-1k', async () => 1))).toBe('thread-1k');
    expect(fixtureOf(async () => 1)).toBeUndefined();
  });
});
