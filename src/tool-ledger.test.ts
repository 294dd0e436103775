import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDb } from '../test/helpers/temp-db.js';
import { execFileSync } from 'node:child_process';
import { InDoubtToolCallError, ToolCallInProgressError, ToolLedger } from './index.js';

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}

describe('ToolLedger', () => {
  const tempDb = useTempDb();

  it('executes once, then replays without executing (a side-effect file proves it)', async () => {
    const { db, dir } = tempDb();
    const ledger = new ToolLedger(db);
    const command = `echo run >> side-effects.txt; printf 'out\\n'; printf 'err' >&2; exit 3`;
    const first = await ledger.run(command, { cwd: dir });
    const second = await ledger.run(command, { cwd: dir });
    expect(first).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err', replayed: false });
    expect(second).toMatchObject({ exitCode: 3, stdout: 'out\n', stderr: 'err', replayed: true });
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('run\n');
    expect(ledger.stats()).toEqual({ executed: 1, replayed: 1, replayRate: 0.5 });
  });

  it('replays bytes that are not valid UTF-8 identically', async () => {
    const { db, dir } = tempDb();
    const ledger = new ToolLedger(db);
    const first = await ledger.run(`printf '\\377\\376abc'`, { cwd: dir });
    const second = await ledger.run(`printf '\\377\\376abc'`, { cwd: dir });
    expect(second.replayed).toBe(true);
    expect(Buffer.from(second.stdout)).toEqual(Buffer.from(first.stdout));
  });

  it('treats a different cwd or env as a different call', async () => {
    const { db, dir } = tempDb();
    const ledger = new ToolLedger(db);
    await ledger.run('echo $X', { cwd: dir, env: { X: '1' } });
    expect((await ledger.run('echo $X', { cwd: dir, env: { X: '2' } })).stdout).toBe('2\n');
    expect((await ledger.run('echo $X', { cwd: dir, env: { X: '1' } })).replayed).toBe(true);
  });

  it('reports an in-doubt call instead of running it again', async () => {
    const { db, dir, clock } = tempDb();
    const command = 'echo run >> side-effects.txt';
    const key = ToolLedger.keyOf(command, { cwd: dir });
    // What a crash between "started" and "completed" leaves behind: a started row whose owner is gone.
    db.sqlite
      .prepare("INSERT INTO tool_calls (key, command, cwd, status, owner_pid, started_at) VALUES (?, ?, ?, 'started', ?, ?)")
      .run(key, command, dir, deadPid(), clock.now());
    const ledger = new ToolLedger(db);
    await expect(ledger.run(command, { cwd: dir })).rejects.toThrow(InDoubtToolCallError);
    await expect(ledger.run(command, { cwd: dir })).rejects.toThrow(/never finished: it may already have run/);
    expect(() => readFileSync(join(dir, 'side-effects.txt'))).toThrow(/ENOENT/);
    const forced = await ledger.run(command, { cwd: dir, onInDoubt: 'execute' });
    expect(forced.replayed).toBe(false);
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('run\n');
    expect(ledger.metrics.count('toolCallsInDoubt')).toBe(2);
  });

  it('refuses to run a call that another live process is running, whatever the in-doubt policy', async () => {
    const { db, dir, clock } = tempDb();
    const command = 'echo run >> side-effects.txt';
    db.sqlite
      .prepare("INSERT INTO tool_calls (key, command, cwd, status, owner_pid, started_at) VALUES (?, ?, ?, 'started', ?, ?)")
      .run(ToolLedger.keyOf(command, { cwd: dir }), command, dir, process.ppid, clock.now());
    const ledger = new ToolLedger(db);
    await expect(ledger.run(command, { cwd: dir })).rejects.toThrow(ToolCallInProgressError);
    await expect(ledger.run(command, { cwd: dir, onInDoubt: 'execute' })).rejects.toThrow(/is running in process \d+/);
    expect(() => readFileSync(join(dir, 'side-effects.txt'))).toThrow(/ENOENT/);
  });

  it('forget() resolves an in-doubt call so the next run executes', async () => {
    const { db, dir, clock } = tempDb();
    const key = ToolLedger.keyOf('true', { cwd: dir });
    db.sqlite
      .prepare("INSERT INTO tool_calls (key, command, cwd, status, started_at) VALUES (?, 'true', ?, 'started', ?)")
      .run(key, dir, clock.now());
    const ledger = new ToolLedger(db);
    expect(ledger.forget('true', { cwd: dir })).toBe(true);
    expect((await ledger.run('true', { cwd: dir })).exitCode).toBe(0);
  });

  it('shares one execution between concurrent identical calls in a process', async () => {
    const { db, dir } = tempDb();
    const ledger = new ToolLedger(db);
    const command = 'echo run >> side-effects.txt';
    await Promise.all([1, 2, 3].map(() => ledger.run(command, { cwd: dir })));
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('run\n');
  });

  it('records a timeout', async () => {
    const { db, dir } = tempDb();
    const result = await new ToolLedger(db).run('sleep 5', { cwd: dir, timeoutMs: 50 });
    expect(result).toMatchObject({ timedOut: true, exitCode: null });
  });

  it('records a command that cannot be started (its cwd is missing) with the reason, and replays that', async () => {
    const { db, dir } = tempDb();
    const ledger = new ToolLedger(db);
    const missing = join(dir, 'no-such-dir');
    const first = await ledger.run('echo never', { cwd: missing });
    expect(first).toMatchObject({ exitCode: null, stdout: '', replayed: false });
    expect(first.stderr).toMatch(/ENOENT/);
    expect(await ledger.run('echo never', { cwd: missing })).toMatchObject({ exitCode: null, stderr: first.stderr, replayed: true });
  });

  it('executes again after the recorded result expires', async () => {
    const { db, dir, clock } = tempDb();
    const ledger = new ToolLedger(db, { ttlMs: 1000 });
    await ledger.run('echo run >> side-effects.txt', { cwd: dir });
    clock.advance(1000);
    expect((await ledger.run('echo run >> side-effects.txt', { cwd: dir })).replayed).toBe(false);
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('run\nrun\n');
  });

  it('rejects an empty command', async () => {
    const { db } = tempDb();
    await expect(new ToolLedger(db).run('  ')).rejects.toThrow(/command must be a non-empty string/);
  });
});
