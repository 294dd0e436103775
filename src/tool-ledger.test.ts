import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDb } from '../test/helpers/temp-db.js';
import { until } from '../test/helpers/until.js';
import {
  INHERITED_ENV,
  InDoubtToolCallError,
  LeaseLostError,
  LeaseManager,
  ToolCallInProgressError,
  ToolLedger,
  ToolSpawnError,
  type AgentDatabase,
} from './index.js';
import { isAlive, processStartTime } from './process-identity.js';

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}

/** The tool_calls rows, oldest first. */
function rows(db: AgentDatabase): Record<string, unknown>[] {
  return db.sqlite
    .prepare(
      'SELECT key, status, lease_item, lease_epoch, truncated, length(stdout) AS stdout_length FROM tool_calls ORDER BY started_at, key',
    )
    .all() as Record<string, unknown>[];
}

/** Kills a process started by a test, if it still exists. */
function kill(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
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
    const raw = Buffer.from([0xff, 0xfe, 0x61, 0x62, 0x63]);
    expect(first.stdoutBytes).toEqual(raw);
    expect(second.stdoutBytes).toEqual(raw);
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
    const key = new ToolLedger(db).keyOf(command, { cwd: dir });
    // What a crash between "started" and "completed" leaves behind: a started row whose owner is gone.
    db.sqlite
      .prepare(
        "INSERT INTO tool_calls (key, command, cwd, status, owner_pid, started_at) VALUES (?, ?, ?, 'started', ?, ?)",
      )
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
      .prepare(
        "INSERT INTO tool_calls (key, command, cwd, status, owner_pid, started_at) VALUES (?, ?, ?, 'started', ?, ?)",
      )
      .run(new ToolLedger(db).keyOf(command, { cwd: dir }), command, dir, process.ppid, clock.now());
    const ledger = new ToolLedger(db);
    await expect(ledger.run(command, { cwd: dir })).rejects.toThrow(ToolCallInProgressError);
    await expect(ledger.run(command, { cwd: dir, onInDoubt: 'execute' })).rejects.toThrow(/is running in process \d+/);
    expect(() => readFileSync(join(dir, 'side-effects.txt'))).toThrow(/ENOENT/);
  });

  it('forget() resolves an in-doubt call so the next run executes', async () => {
    const { db, dir, clock } = tempDb();
    const key = new ToolLedger(db).keyOf('true', { cwd: dir });
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

  it('throws ToolSpawnError for a command that cannot be started (missing cwd), keeps no entry, runs once the cwd exists', async () => {
    const { db, dir } = tempDb();
    const ledger = new ToolLedger(db);
    const missing = join(dir, 'later');
    const failure = ledger.run('echo ran', { cwd: missing });
    await expect(failure).rejects.toMatchObject({ name: 'ToolSpawnError', command: 'echo ran', cwd: missing });
    await expect(failure).rejects.toThrow(ToolSpawnError);
    await expect(failure).rejects.toThrow(/ENOENT/);
    expect(rows(db)).toEqual([]);
    mkdirSync(missing);
    expect(await ledger.run('echo ran', { cwd: missing })).toMatchObject({
      exitCode: 0,
      stdout: 'ran\n',
      replayed: false,
    });
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

  it('keys a call by the environment the command really gets: the environment at the ledger’s creation, options.env on top', async () => {
    const { db, dir } = tempDb();
    const command = 'echo $AGENTOS_TEST_TARGET';
    const saved = process.env.AGENTOS_TEST_TARGET;
    try {
      // A variable commands should see is named in inheritEnv: then it is part of every call's identity.
      const inheritEnv = [...INHERITED_ENV, 'AGENTOS_TEST_TARGET'];
      process.env.AGENTOS_TEST_TARGET = 'staging';
      const staging = new ToolLedger(db, { inheritEnv });
      expect(await staging.run(command, { cwd: dir })).toMatchObject({ stdout: 'staging\n', replayed: false });
      // A process started with another environment (here: a ledger created after it changed) is another call.
      process.env.AGENTOS_TEST_TARGET = 'production';
      const production = new ToolLedger(db, { inheritEnv });
      expect(await production.run(command, { cwd: dir })).toMatchObject({ stdout: 'production\n', replayed: false });
      // options.env overriding the inherited value gives the child what the first call's child got: the same call.
      expect(await production.run(command, { cwd: dir, env: { AGENTOS_TEST_TARGET: 'staging' } })).toMatchObject({
        stdout: 'staging\n',
        replayed: true,
      });
      expect(production.keyOf(command, { cwd: dir, env: { AGENTOS_TEST_TARGET: 'staging' } })).toBe(
        staging.keyOf(command, { cwd: dir }),
      );
      // Setting a variable to the value it already has changes nothing.
      expect(production.keyOf(command, { cwd: dir, env: { AGENTOS_TEST_TARGET: 'production' } })).toBe(
        production.keyOf(command, { cwd: dir }),
      );
      // A change to process.env after the ledger was created reaches neither its commands nor its keys.
      process.env.AGENTOS_TEST_TARGET = 'elsewhere';
      expect(await production.run(command, { cwd: dir })).toMatchObject({ stdout: 'production\n', replayed: true });
      expect(rows(db)).toHaveLength(2);
      expect(production.forget(command, { cwd: dir })).toBe(true);
      expect(await production.run(command, { cwd: dir })).toMatchObject({ stdout: 'production\n', replayed: false });
    } finally {
      if (saved === undefined) delete process.env.AGENTOS_TEST_TARGET;
      else process.env.AGENTOS_TEST_TARGET = saved;
    }
  });

  it('recognises the same call from a process whose environment differs in a variable the command does not get', async () => {
    // Found by the fault campaign: a worker restarted with one more variable (there, the crash point armed in the
    // first worker only) did not recognise the calls its predecessor had made, and ran them a second time.
    const { db, dir } = tempDb();
    const command = 'echo ran >> side-effects.txt';
    const saved = process.env.AGENTOS_TEST_UNRELATED;
    try {
      process.env.AGENTOS_TEST_UNRELATED = 'first process';
      expect((await new ToolLedger(db).run(command, { cwd: dir })).replayed).toBe(false);
      process.env.AGENTOS_TEST_UNRELATED = 'restarted process';
      expect((await new ToolLedger(db).run(command, { cwd: dir })).replayed).toBe(true);
      expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('ran\n');
    } finally {
      if (saved === undefined) delete process.env.AGENTOS_TEST_UNRELATED;
      else process.env.AGENTOS_TEST_UNRELATED = saved;
    }
  });

  it('takes its base environment from options.env when given', async () => {
    const { db, dir } = tempDb();
    const ledger = new ToolLedger(db, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ONLY: 'this' } });
    expect((await ledger.run('echo "$ONLY-$HOME"', { cwd: dir })).stdout).toBe('this-\n');
  });

  it('uses a caller-given key as the whole identity (command, cwd and env then do not matter)', async () => {
    const { db, dir } = tempDb();
    const ledger = new ToolLedger(db);
    const first = await ledger.run('echo one >> side-effects.txt; echo one', { cwd: dir, key: 'deploy-step' });
    const again = await ledger.run('echo two >> side-effects.txt', { cwd: '/', env: { X: '1' }, key: 'deploy-step' });
    expect(first.replayed).toBe(false);
    expect(again).toMatchObject({ stdout: 'one\n', replayed: true });
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('one\n');
    expect(rows(db).map((r) => r.key)).toEqual([new ToolLedger(db).keyOf('anything', { key: 'deploy-step' })]);
    expect(new ToolLedger(db).keyOf('echo one', { key: 'deploy-step' })).not.toBe(
      new ToolLedger(db).keyOf('echo one', { key: 'other' }),
    );
    expect(ledger.forget('anything', { key: 'deploy-step' })).toBe(true);
    expect(rows(db)).toEqual([]);
  });

  it.runIf(process.platform === 'linux')(
    'treats a started call whose owner pid now belongs to another process as in doubt, not in progress',
    async () => {
      const { db, dir, clock } = tempDb();
      const command = 'echo run >> side-effects.txt';
      const key = new ToolLedger(db).keyOf(command, { cwd: dir });
      const other = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        const pid = other.pid;
        if (pid === undefined) throw new Error('sleep did not start');
        const insert = db.sqlite.prepare(
          "INSERT OR REPLACE INTO tool_calls (key, command, cwd, status, owner_pid, owner_start, started_at) VALUES (?, ?, ?, 'started', ?, ?, ?)",
        );
        const ledger = new ToolLedger(db);
        // The recorded owner had this pid but started at another time: the pid was reused by the sleep.
        insert.run(key, command, dir, pid, 'not-its-start-time', clock.now());
        await expect(ledger.run(command, { cwd: dir })).rejects.toThrow(InDoubtToolCallError);
        insert.run(key, command, dir, pid, processStartTime(pid), clock.now());
        await expect(ledger.run(command, { cwd: dir })).rejects.toThrow(ToolCallInProgressError);
        await expect(ledger.run(command, { cwd: dir, onInDoubt: 'execute' })).rejects.toThrow(ToolCallInProgressError);
        insert.run(key, command, dir, pid, 'not-its-start-time', clock.now());
        expect(await ledger.run(command, { cwd: dir, onInDoubt: 'execute' })).toMatchObject({
          exitCode: 0,
          replayed: false,
        });
        expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('run\n');
      } finally {
        other.kill('SIGKILL');
      }
    },
  );

  it('returns at the timeout even when a process outside the group keeps the output open', async () => {
    const { db, dir } = tempDb();
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
        exitCode: null,
        stdout: 'started\n',
        replayed: true,
      });
    } finally {
      if (existsSync(pidFile)) kill(Number(readFileSync(pidFile, 'utf8')));
    }
  });

  it.runIf(process.platform === 'linux')('kills the whole process group at the timeout', async () => {
    const { db, dir } = tempDb();
    const pidFile = join(dir, 'background.pid');
    let pid: number | undefined;
    /** The process state letter from /proc/<pid>/stat, or 'gone'. */
    const state = (p: number): string => {
      try {
        return /\) (\S) /.exec(readFileSync(`/proc/${p}/stat`, 'utf8'))?.[1] ?? 'unknown';
      } catch {
        return 'gone';
      }
    };
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
    const { db, dir } = tempDb();
    const result = await new ToolLedger(db).run('(sleep 0.3; echo late) & echo early', { cwd: dir });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'early\nlate\n', timedOut: false });
  });

  it('keeps at most maxOutputBytes of each stream and records that it truncated', async () => {
    const { db, dir } = tempDb();
    const ledger = new ToolLedger(db, { maxOutputBytes: 100 });
    const big = 'head -c 3000000 /dev/zero | tr "\\000" a; printf err >&2';
    const first = await ledger.run(big, { cwd: dir, maxOutputBytes: 1000 });
    expect(first).toMatchObject({ exitCode: 0, truncated: true, stderr: 'err', replayed: false });
    expect(first.stdoutBytes).toEqual(Buffer.alloc(1000, 'a'));
    const replay = await ledger.run(big, { cwd: dir });
    expect(replay).toMatchObject({ truncated: true, stderr: 'err', replayed: true });
    expect(replay.stdoutBytes).toEqual(first.stdoutBytes);
    expect(rows(db)[0]).toMatchObject({ truncated: 1, stdout_length: 1000 });
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

  describe('under a lease', () => {
    async function twoWorkers(db: AgentDatabase, clock: { advance(ms: number): void }) {
      const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 1000 });
      const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 1000 });
      await a.enqueue([{ id: 'job' }]);
      const leaseA = await a.acquire('job');
      expect(leaseA?.epoch).toBe(1);
      return {
        leaseA: leaseA!,
        takeOver: async () => {
          clock.advance(1001);
          const leaseB = await b.acquire('job');
          expect(leaseB?.epoch).toBe(2);
          return leaseB!;
        },
      };
    }

    it('refuses to start a call under a lease that was taken over, and runs nothing', async () => {
      const { db, dir, clock } = tempDb();
      const { leaseA, takeOver } = await twoWorkers(db, clock);
      const leaseB = await takeOver();
      const ledger = new ToolLedger(db);
      const command = 'echo ran >> side-effects.txt';
      const refused = ledger.run(command, { cwd: dir, lease: leaseA });
      await expect(refused).rejects.toThrow(LeaseLostError);
      await expect(refused).rejects.toThrow(
        /tool-start on work item "job" by worker "a" with epoch 1 refused: the item is now at epoch 2/,
      );
      expect(existsSync(join(dir, 'side-effects.txt'))).toBe(false);
      expect(rows(db)).toEqual([]);
      // The current holder's call runs, and its row records the lease it ran under.
      expect(await ledger.run(command, { cwd: dir, lease: leaseB })).toMatchObject({ exitCode: 0, replayed: false });
      expect(rows(db)).toMatchObject([{ status: 'completed', lease_item: 'job', lease_epoch: 2 }]);
      const log = db.sqlite.prepare("SELECT op, epoch FROM lease_log WHERE item_id = 'job' ORDER BY seq").all();
      expect(log).toEqual([
        { op: 'acquire', epoch: 1 },
        { op: 'acquire', epoch: 2 },
        { op: 'tool-start', epoch: 2 },
        { op: 'tool-finish', epoch: 2 },
      ]);
    });

    it('refuses to record the result when the lease was taken over while the command ran; the call stays in doubt', async () => {
      const { db, dir, clock } = tempDb();
      const { leaseA, takeOver } = await twoWorkers(db, clock);
      const ledger = new ToolLedger(db);
      const command = 'echo ran >> side-effects.txt';
      // run() writes the started row and starts the command before it first awaits; the takeover comes after that.
      const outcome = ledger.run(command, { cwd: dir, lease: leaseA }).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      expect(rows(db)).toMatchObject([{ status: 'started', lease_item: 'job', lease_epoch: 1 }]);
      const leaseB = await takeOver();
      const error = await outcome;
      expect(error).toBeInstanceOf(LeaseLostError);
      expect(String(error)).toMatch(
        /tool-finish on work item "job" by worker "a" with epoch 1 refused: the item is now at epoch 2/,
      );
      expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('ran\n');
      expect(rows(db)).toMatchObject([{ status: 'started', lease_epoch: 1 }]);
      // Disowned: the new holder sees the call in doubt at once, not "in progress" while the old process lives on.
      expect(db.sqlite.prepare('SELECT owner_pid FROM tool_calls').pluck().get()).toBeNull();
      await expect(ledger.run(command, { cwd: dir, lease: leaseB })).rejects.toThrow(InDoubtToolCallError);
    });
  });

  it('shares a call another ledger of this process is running, instead of calling it in doubt and running it again', async () => {
    const { db, dir } = tempDb();
    const command = 'echo start >> effects.txt; sleep 0.2; echo end >> effects.txt';
    const first = new ToolLedger(db).run(command, { cwd: dir });
    const second = await new ToolLedger(db).run(command, { cwd: dir });
    expect(second.replayed).toBe(false);
    expect((await first).exitCode).toBe(0);
    expect(readFileSync(join(dir, 'effects.txt'), 'utf8')).toBe('start\nend\n');
    expect(rows(db)).toMatchObject([{ status: 'completed' }]);
  });

  it.each([
    [{ onInDoubt: 'Throw' }, /onInDoubt must be 'throw' or 'execute', got "Throw"/],
    [{ env: { N: 1 } }, /env\.N must be a string, got number/],
    [{ cwd: 42 }, /cwd must be a string, got number/],
    [{ lease: {} }, /lease must be a Lease/],
  ])('refuses the run option %j by name, running nothing', async (options, message) => {
    const { db, dir } = tempDb();
    const ledger = new ToolLedger(db);
    await expect(ledger.run('echo ran >> effects.txt', { cwd: dir, ...(options as object) })).rejects.toThrow(message);
    expect(existsSync(join(dir, 'effects.txt'))).toBe(false);
    expect(rows(db)).toEqual([]);
  });
});
