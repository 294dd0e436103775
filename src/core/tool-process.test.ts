import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { until } from '../../test/helpers/until.js';
import { ToolSpawnError } from '../errors.js';
import { isAlive } from '../process-identity.js';
import { ToolLedger } from './tool-ledger.js';

/** Kills a process started by a test, if it still exists. */
function kill(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** The process state letter from /proc/<pid>/stat, or 'gone'. */
function state(pid: number): string {
  try {
    return /\) (\S) /.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'gone';
  }
}

describeEachStore('A tool call’s process', (open) => {
  it('records a timeout, and replays it', async () => {
    const { db, dir } = await open();
    const ledger = new ToolLedger(db);
    expect(await ledger.run('sleep 5', { cwd: dir, timeoutMs: 50 })).toMatchObject({ timedOut: true, exitCode: null });
    expect(await ledger.run('sleep 5', { cwd: dir, timeoutMs: 50 })).toMatchObject({
      timedOut: true,
      exitCode: null,
      replayed: true,
    });
  });

  it('throws ToolSpawnError for a command that cannot be started (missing cwd), keeps no entry, runs once the cwd exists', async () => {
    const { db, dir, count } = await open();
    const ledger = new ToolLedger(db);
    const missing = join(dir, 'later');
    const failure = ledger.run('echo ran', { cwd: missing });
    await expect(failure).rejects.toMatchObject({ name: 'ToolSpawnError', command: 'echo ran', cwd: missing });
    await expect(failure).rejects.toThrow(ToolSpawnError);
    await expect(failure).rejects.toThrow(/ENOENT/);
    expect(await count('tool_calls')).toBe(0);
    mkdirSync(missing);
    expect(await ledger.run('echo ran', { cwd: missing })).toMatchObject({
      exitCode: 0,
      stdout: 'ran\n',
      replayed: false,
    });
  });

  it('returns at the timeout even when a process outside the group keeps the output open', async () => {
    const { db, dir } = await open();
    const pidFile = join(dir, 'detached.pid');
    const ledger = new ToolLedger(db);
    // setsid moves the sleep out of the command's process group, so the group kill cannot reach it: it holds stdout.
    const command = 'setsid sleep 30 & echo $! > detached.pid; echo started';
    try {
      const result = await ledger.run(command, { cwd: dir, timeoutMs: 200 });
      expect(result).toMatchObject({ timedOut: true, exitCode: null, stdout: 'started\n', replayed: false });
      // Still alive: run() returned without waiting for the detached process to let go of the output.
      expect(isAlive(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
      expect(await ledger.run(command, { cwd: dir, timeoutMs: 200 })).toMatchObject({
        timedOut: true,
        stdout: 'started\n',
        replayed: true,
      });
    } finally {
      if (existsSync(pidFile)) kill(Number(readFileSync(pidFile, 'utf8')));
    }
  });

  it.runIf(process.platform === 'linux')('kills the whole process group at the timeout', async () => {
    const { db, dir } = await open();
    const pidFile = join(dir, 'background.pid');
    let pid: number | undefined;
    try {
      const result = await new ToolLedger(db).run('sleep 120 & echo $! > background.pid; wait', {
        cwd: dir,
        timeoutMs: 200,
      });
      expect(result).toMatchObject({ timedOut: true, exitCode: null });
      pid = Number(readFileSync(pidFile, 'utf8'));
      const backgroundPid = pid;
      // SIGKILL wakes a sleeping process before kill() returns: one still asleep ('S') was not signalled.
      expect(state(backgroundPid)).not.toBe('S');
      await until(() => ['gone', 'Z', 'X'].includes(state(backgroundPid)));
    } finally {
      if (pid === undefined && existsSync(pidFile)) pid = Number(readFileSync(pidFile, 'utf8'));
      kill(pid);
    }
  });

  it('waits for all output without a timeout, also from a background process that outlives the shell', async () => {
    const { db, dir } = await open();
    const result = await new ToolLedger(db).run('(sleep 0.3; echo late) & echo early', { cwd: dir });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'early\nlate\n', timedOut: false });
  });

  it('keeps at most maxOutputBytes of each stream and records that it truncated', async () => {
    const { db, dir, select } = await open();
    const ledger = new ToolLedger(db, { maxOutputBytes: 100 });
    const big = 'head -c 3000000 /dev/zero | tr "\\000" a; printf err >&2';
    const first = await ledger.run(big, { cwd: dir, maxOutputBytes: 1000 });
    expect(first).toMatchObject({ exitCode: 0, truncated: true, stderr: 'err', replayed: false });
    expect(first.stdoutBytes).toEqual(Buffer.alloc(1000, 'a'));
    const replay = await ledger.run(big, { cwd: dir });
    expect(replay).toMatchObject({ truncated: true, stderr: 'err', replayed: true });
    expect(replay.stdoutBytes).toEqual(first.stdoutBytes);
    expect(await select('SELECT length(stdout) AS n FROM tool_calls')).toEqual([{ n: 1000 }]);
    // The ledger-wide default applies when the call gives none.
    expect(await ledger.run('printf %0150d 0', { cwd: dir })).toMatchObject({
      stdout: '0'.repeat(100),
      truncated: true,
    });
    expect(await ledger.run('printf %050d 0', { cwd: dir })).toMatchObject({
      stdout: '0'.repeat(50),
      truncated: false,
    });
  });
});
