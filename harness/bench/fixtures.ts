import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Marks a subject whose variants all start from the same prepared data, named `fixture` (a SQLite file they copy,
 * a PostgreSQL schema they share): the first variant of a fixture makes it, the benchmark runner prepares the others
 * after it.
 */
export function withFixture<A extends unknown[], R>(
  fixture: string,
  factory: (...args: A) => Promise<R>,
): ((...args: A) => Promise<R>) & { fixture: string } {
  return Object.assign((...args: A) => factory(...args), { fixture });
}

/** The fixture a subject starts from, if any (see withFixture). */
export function fixtureOf(factory: object): string | undefined {
  return 'fixture' in factory && typeof factory.fixture === 'string' ? factory.fixture : undefined;
}

/**
 * Copies the fixture `name` (at the variant's durability) to `path`, making it first with `make` if no variant of the
 * benchmark has yet. `make` writes a closed SQLite file (no -wal beside it) to the path it is given; it is renamed
 * into place only when complete, so a copy never sees half a fixture.
 */
export async function copyOfFixture(
  { fixturesDir, durability }: { fixturesDir: string; durability: string },
  name: string,
  path: string,
  make: (path: string) => Promise<void>,
): Promise<void> {
  const fixture = join(fixturesDir, `${name}-${durability}.db`);
  if (!existsSync(fixture)) {
    mkdirSync(fixturesDir, { recursive: true });
    const staging = `${fixture}.${process.pid}`;
    try {
      await make(staging);
      if (existsSync(`${staging}-wal`)) throw new Error(`fixture ${name}: its -wal file was left beside it`);
      renameSync(staging, fixture);
    } finally {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${staging}${suffix}`, { force: true });
    }
  }
  copyFileSync(fixture, path);
}

/**
 * A fixture that is not copied but shared, such as a filled PostgreSQL schema: the first variant to need `name` (at
 * the variant's durability) makes it with `make` and records `own` (its name) in the fixtures folder; the others,
 * prepared after it, get that name back. The maker's `own` is returned to it too.
 */
export async function sharedFixture(
  { fixturesDir, durability }: { fixturesDir: string; durability: string },
  name: string,
  own: string,
  make: () => Promise<void>,
): Promise<string> {
  const record = join(fixturesDir, `${name}-${durability}.shared`);
  if (existsSync(record)) return readFileSync(record, 'utf8');
  mkdirSync(fixturesDir, { recursive: true });
  await make();
  const staging = `${record}.${process.pid}`;
  writeFileSync(staging, own);
  renameSync(staging, record);
  return own;
}
