import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { ToolLedger, openDatabase, type AgentDatabase } from '../index.js';

const SECRET = 'API_TOKEN=sk-live-4f9a2c';
const isRoot = process.getuid?.() === 0;
const hasRunuser = spawnSync('runuser', ['--help'], { stdio: 'ignore' }).status === 0;

const modeOf = (path: string): number => statSync(path).mode & 0o777;
const octal = (mode: number): string => `0${mode.toString(8).padStart(3, '0')}`;

/** Runs fn with the warnings it emits collected instead of printed (node emits them on the next tick). */
async function captureWarnings(fn: () => void): Promise<Error[]> {
  const printers = process.listeners('warning');
  const warnings: Error[] = [];
  const collect = (warning: Error) => warnings.push(warning);
  process.removeAllListeners('warning');
  process.on('warning', collect);
  try {
    fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', collect);
    for (const printer of printers) process.on('warning', printer);
  }
  return warnings;
}

/** Runs fn under umask, restoring the one before. */
function withUmask<T>(umask: number, fn: () => T): T {
  const before = process.umask(umask);
  try {
    return fn();
  } finally {
    process.umask(before);
  }
}

describe('openDatabase keeps what it stores private to its owner', () => {
  const tempDir = useTempDir();
  const open: AgentDatabase[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) db.close();
  });

  it.each(['000', '022', '027', '077'])(
    'with umask %s, the folders, database, WAL and SHM it creates are 0700 and 0600, without a warning',
    async (umaskOctal) => {
      const umask = parseInt(umaskOctal, 8);
      const parent = tempDir();
      chmodSync(parent, 0o755);
      const path = join(parent, 'a', 'b', 'agentos.db');
      const warnings = await captureWarnings(() => {
        const db = withUmask(umask, () => openDatabase(path));
        open.push(db);
        db.writeTransaction(() =>
          db.sqlite
            .prepare("INSERT INTO tasks (id, status, created_at, updated_at) VALUES ('t', 'running', 1, 1)")
            .run(),
        );
      });
      expect(warnings.map((w) => w.message)).toEqual([]);
      const modes = Object.fromEntries(
        [join(parent, 'a'), join(parent, 'a', 'b'), path, `${path}-wal`, `${path}-shm`].map((p) => [
          p,
          octal(modeOf(p)),
        ]),
      );
      expect(modes).toEqual({
        [join(parent, 'a')]: '0700',
        [join(parent, 'a', 'b')]: '0700',
        [path]: '0600',
        [`${path}-wal`]: '0600',
        [`${path}-shm`]: '0600',
      });
      expect(octal(modeOf(parent))).toBe('0755'); // a folder it did not create is left as it was
    },
  );

  it.skipIf(!isRoot || !hasRunuser)('another user (nobody) cannot read a stored tool output', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755); // only the files' own modes stand between nobody and the secret
    const path = join(dir, 'agentos.db');
    const db = openDatabase(path);
    open.push(db);
    const result = await new ToolLedger(db).run(`echo ${SECRET}`, { cwd: dir });
    expect(result.stdout).toContain(SECRET);
    expect(readFileSync(`${path}-wal`, 'latin1')).toContain(SECRET); // the owner can: the secret is on disk
    const asNobody = [path, `${path}-wal`].map((file) => {
      const read = spawnSync('runuser', ['-u', 'nobody', '--', 'cat', file], { encoding: 'latin1' });
      return { file, denied: read.stderr.includes('Permission denied'), leaked: read.stdout.includes(SECRET) };
    });
    expect(asNobody).toEqual([
      { file: path, denied: true, leaked: false },
      { file: `${path}-wal`, denied: true, leaked: false },
    ]);
  });

  it('leaves an existing database readable by others as it is, and a warning names it', async () => {
    const dir = tempDir();
    const path = join(dir, 'agentos.db');
    openDatabase(path).close();
    chmodSync(path, 0o644);
    const warnings = await captureWarnings(() => open.push(openDatabase(path)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ name: 'Warning', code: 'AGENTOS_WIDE_PERMISSIONS' });
    expect(warnings[0]!.message).toContain(`${path} (mode 0644)`);
    expect(warnings[0]!.message).toMatch(/other users than the owner may read or write.*secrets.*chmod 600/);
    expect(octal(modeOf(path))).toBe('0644');
    expect(existsSync(`${path}-wal`)).toBe(true);
  });
});
