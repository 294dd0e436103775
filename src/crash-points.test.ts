import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test/helpers/temp-db.js';
import { builtPath } from '../harness/workers/build.js';
import { CRASH_POINT_VARIABLE, openDatabase } from './index.js';

/** Commits 5 checkpoints in a child process with a crash point armed; returns how it ended and what it acknowledged. */
function commitFiveIn(dir: string, armed: string) {
  const script =
    `const { CheckpointManager, openDatabase } = await import(${JSON.stringify(pathToFileURL(builtPath('src/index.ts')).href)});` +
    `const cm = new CheckpointManager(openDatabase(process.argv[1]));` +
    `for (let i = 1; i <= 5; i++) { await cm.commit(cm.begin('t', 's' + i, {})); console.log('acked ' + i); }`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, join(dir, 'a.db')], {
    encoding: 'utf8',
    env: { ...process.env, [CRASH_POINT_VARIABLE]: armed },
    timeout: 30_000,
  });
  const db = openDatabase(join(dir, 'a.db'));
  const stored = db.sqlite
    .prepare('SELECT step FROM checkpoints WHERE task_id = ? ORDER BY seq')
    .pluck()
    .all('t') as string[];
  db.close();
  return { signal: child.signal, acked: child.stdout.trim().split('\n').filter(Boolean), stderr: child.stderr, stored };
}

describe('crash points', () => {
  const tempDir = useTempDir();

  it('kills the process with SIGKILL inside the 3rd commit, before COMMIT: the 3rd checkpoint is neither acknowledged nor stored', () => {
    const run = commitFiveIn(tempDir(), 'checkpoint.before-commit:3');
    expect(run.signal).toBe('SIGKILL');
    expect(run.acked).toEqual(['acked 1', 'acked 2']);
    expect(run.stored).toEqual(['s1', 's2']);
    expect(run.stderr).toContain('crash point checkpoint.before-commit reached (pass 3): SIGKILL');
  });

  it('kills it after the 3rd COMMIT, before the caller hears of it: stored, not acknowledged', () => {
    const run = commitFiveIn(tempDir(), 'checkpoint.after-commit:3');
    expect(run.signal).toBe('SIGKILL');
    expect(run.acked).toEqual(['acked 1', 'acked 2']);
    expect(run.stored).toEqual(['s1', 's2', 's3']);
  });

  it('does nothing when another point is armed, and refuses a malformed setting by name', () => {
    const run = commitFiveIn(tempDir(), 'tool.after-spawn:1');
    expect(run.signal).toBeNull();
    expect(run.stored).toHaveLength(5);
    const bad = commitFiveIn(tempDir(), 'checkpoint.befor-commit:1');
    expect(bad.stderr).toMatch(
      /AGENTOS_CRASH_POINT=checkpoint\.befor-commit:1: expected "<point>:<n>" with n ≥ 1 and point one of checkpoint\.before-commit/,
    );
    expect(bad.stored).toEqual([]);
  });
});
