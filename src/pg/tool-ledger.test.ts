import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgSkipReason, useTempPg } from '../../test/helpers/temp-pg.js';
import { useTempDb, useTempDir } from '../../test/helpers/temp-db.js';
import { until } from '../../test/helpers/until.js';
import { InDoubtToolCallError, LeaseLostError, ToolCallInProgressError, ToolSpawnError } from '../errors.js';
import { ownBootId, ownPidSpace, processStartTime } from '../process-identity.js';
import { ToolLedger } from '../tool-ledger.js';
import { PgDatabase, PgToolLedger } from './index.js';
import { LeaseManager } from '../core/leases.js';

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}

interface Owner {
  host: string | null;
  boot: string | null;
  pid: number | null;
  start: string | null;
  leaseItem?: string;
  leaseEpoch?: number;
}

/** What a process that stopped between "started" and "completed" leaves behind: a started row with its owner. */
async function startedRow(db: PgDatabase, key: string, command: string, cwd: string, owner: Owner): Promise<void> {
  await db.query(
    `INSERT INTO tool_calls (key, command, cwd, status, claim, started_at, owner_host, owner_pid_space, owner_pid,
       owner_start, lease_item, lease_epoch)
     VALUES ($1, $2, $3, 'started', 'left-behind', agentos_now_ms(), $4, $5, $6, $7, $8, $9)`,
    [
      key,
      command,
      cwd,
      owner.host,
      owner.boot,
      owner.pid,
      owner.start,
      owner.leaseItem ?? null,
      owner.leaseEpoch ?? null,
    ],
  );
}

async function rows(db: PgDatabase): Promise<Record<string, unknown>[]> {
  return db.query('SELECT status, lease_item, lease_epoch, owner_pid FROM tool_calls ORDER BY started_at, key');
}

async function leaseLog(db: PgDatabase, itemId: string): Promise<string[]> {
  const log = await db.query<{ op: string; epoch: number }>(
    'SELECT op, epoch FROM lease_log WHERE item_id = $1 ORDER BY seq',
    [itemId],
  );
  return log.map((r) => `${r.op}@${r.epoch}`);
}

/** Two workers; a holds "job" at epoch 1, and takeOver() ends a's lease on the server's clock and gives it to b. */
async function twoWorkers(db: PgDatabase) {
  const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 60_000 });
  const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 60_000 });
  await a.enqueue([{ id: 'job' }]);
  const leaseA = await a.acquire('job');
  if (!leaseA) throw new Error('a did not get the lease');
  return {
    leaseA,
    takeOver: async () => {
      await db.query("UPDATE work_items SET lease_expires_at = agentos_now_ms() - 1 WHERE id = 'job'");
      const leaseB = await b.acquire('job');
      if (leaseB?.epoch !== 2) throw new Error('b did not take the lease over');
      return leaseB;
    },
  };
}

/** Resolves once some session of the server waits for a lock, or `ended()` (checked on every turn of the event loop). */
async function waitForLockWait(db: PgDatabase, ended: () => boolean): Promise<void> {
  while (!ended()) {
    const [row] = await db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM pg_locks WHERE NOT granted');
    if ((row?.n ?? 0) > 0) return;
    await new Promise(setImmediate);
  }
}

describe.skipIf(pgSkipReason !== undefined)('PgToolLedger', () => {
  const openPg = useTempPg();
  const tempDir = useTempDir();
  const tempDb = useTempDb();

  it('executes once, then replays the same bytes without executing, under the same key as on SQLite', async () => {
    const db = await openPg();
    const dir = tempDir();
    const ledger = new PgToolLedger(db);
    const command = `echo run >> side-effects.txt; printf '\\377\\376abc'; printf 'err' >&2; exit 3`;
    const first = await ledger.run(command, { cwd: dir });
    const second = await ledger.run(command, { cwd: dir });
    expect(first).toMatchObject({ exitCode: 3, stderr: 'err', replayed: false, timedOut: false });
    expect(second).toMatchObject({ exitCode: 3, stderr: 'err', replayed: true, timedOut: false });
    expect(second.stdoutBytes).toEqual(Buffer.from([0xff, 0xfe, 0x61, 0x62, 0x63]));
    expect(second.stdoutBytes).toEqual(first.stdoutBytes);
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('run\n');
    expect(ledger.stats()).toEqual({ executed: 1, replayed: 1, replayRate: 0.5 });
    expect(ledger.keyOf(command, { cwd: dir })).toBe(new ToolLedger(tempDb().db).keyOf(command, { cwd: dir }));
  });

  it('runs a call once when ledgers of several databases claim it at the same time', async () => {
    const db = await openPg({ maxConnections: 8 });
    const dir = tempDir();
    const command = 'echo run >> side-effects.txt';
    // Distinct identities: no in-process sharing, so only the server's claim keeps the call from running twice.
    const ledgers = Array.from(
      { length: 8 },
      (_, i) => new PgToolLedger(new PgDatabase(db.pool, db.schema, db.label, `db${i}`)),
    );
    // Eight open connections first (eight queries at once: none is idle to reuse), so the claims race on the server
    // rather than queue for connections.
    await Promise.all(ledgers.map(() => db.query('SELECT 1')));
    const outcomes = await Promise.allSettled(ledgers.map((l) => l.run(command, { cwd: dir })));
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('run\n');
    const executed = outcomes.filter((o) => o.status === 'fulfilled' && !o.value.replayed);
    expect(executed).toHaveLength(1);
    // The others replayed the result, or (same process, the winner still running) found the call in doubt.
    for (const o of outcomes) {
      if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(InDoubtToolCallError);
    }
  });

  it('reports a call whose process on this machine is gone in doubt, and runs it only when told to', async () => {
    const db = await openPg();
    const dir = tempDir();
    const ledger = new PgToolLedger(db);
    const command = 'echo run >> side-effects.txt';
    const key = ledger.keyOf(command, { cwd: dir });
    await startedRow(db, key, command, dir, { host: 'here', boot: ownPidSpace(), pid: deadPid(), start: null });
    await expect(ledger.run(command, { cwd: dir })).rejects.toThrow(/never finished: it may already have run/);
    expect(existsSync(join(dir, 'side-effects.txt'))).toBe(false);
    expect((await ledger.run(command, { cwd: dir, onInDoubt: 'execute' })).replayed).toBe(false);
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('run\n');
    expect(ledger.metrics.count('toolCallsInDoubt')).toBe(1);
    expect(await rows(db)).toMatchObject([{ status: 'completed' }]);
  });

  it('refuses a call a live process on this machine is running, whatever the in-doubt policy', async () => {
    const db = await openPg();
    const dir = tempDir();
    const ledger = new PgToolLedger(db);
    const command = 'echo run >> side-effects.txt';
    const owner = {
      host: 'here',
      boot: ownPidSpace(),
      pid: process.ppid,
      start: processStartTime(process.ppid) ?? null,
    };
    await startedRow(db, ledger.keyOf(command, { cwd: dir }), command, dir, owner);
    await expect(ledger.run(command, { cwd: dir, onInDoubt: 'execute' })).rejects.toThrow(
      new RegExp(`is running in process ${process.ppid}`),
    );
    expect(existsSync(join(dir, 'side-effects.txt'))).toBe(false);
  });

  it('counts a call from another machine in progress while its lease is held, in doubt once the lease is lost', async () => {
    const db = await openPg();
    const dir = tempDir();
    const ledger = new PgToolLedger(db);
    const { leaseA, takeOver } = await twoWorkers(db);
    const remote = { host: 'host-b', boot: 'another-boot', pid: 4242, start: 'another-boot:1' };
    const leased = 'echo leased >> side-effects.txt';
    await startedRow(db, ledger.keyOf(leased, { cwd: dir }), leased, dir, {
      ...remote,
      leaseItem: 'job',
      leaseEpoch: leaseA.epoch,
    });
    const busy = await ledger.run(leased, { cwd: dir, onInDoubt: 'execute' }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ToolCallInProgressError);
    expect(String(busy)).toMatch(/started by process 4242 on host "host-b"/);
    const leaseB = await takeOver();
    await expect(ledger.run(leased, { cwd: dir, lease: leaseB })).rejects.toThrow(InDoubtToolCallError);

    // Without a lease nothing shows that the other machine's process is gone: in progress until forget().
    const bare = 'echo bare >> side-effects.txt';
    await startedRow(db, ledger.keyOf(bare, { cwd: dir }), bare, dir, remote);
    await expect(ledger.run(bare, { cwd: dir, onInDoubt: 'execute' })).rejects.toThrow(ToolCallInProgressError);
    expect(await ledger.forget(bare, { cwd: dir })).toBe(true);
    expect((await ledger.run(bare, { cwd: dir })).replayed).toBe(false);
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('bare\n');
  });

  it('counts a call from another container of this machine (its own pid namespace) in progress while its lease is held', async () => {
    const db = await openPg();
    const dir = tempDir();
    const ledger = new PgToolLedger(db);
    const { leaseA } = await twoWorkers(db);
    const command = 'echo run >> side-effects.txt';
    // Same boot id, another pid namespace: its pid says nothing about the processes this one can see.
    await startedRow(db, ledger.keyOf(command, { cwd: dir }), command, dir, {
      host: 'pod-a',
      boot: `${ownBootId() ?? 'boot'}/pid:[1]`,
      pid: deadPid(),
      start: null,
      leaseItem: 'job',
      leaseEpoch: leaseA.epoch,
    });
    await expect(ledger.run(command, { cwd: dir, onInDoubt: 'execute' })).rejects.toThrow(ToolCallInProgressError);
    expect(existsSync(join(dir, 'side-effects.txt'))).toBe(false);
  });

  it('replays a result recorded between its read of a call in doubt and its claim, instead of running it again', async () => {
    const db = await openPg();
    const dir = tempDir();
    const ledger = new PgToolLedger(db);
    const command = 'echo run >> side-effects.txt';
    const key = ledger.keyOf(command, { cwd: dir });
    await startedRow(db, key, command, dir, { host: 'here', boot: ownPidSpace(), pid: deadPid(), start: null });
    // Another session holds the row: the ledger reads it as in doubt, then its claim waits for the row's lock.
    const other = await db.pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM tool_calls WHERE key = $1 FOR UPDATE', [key]);
      let ended = false;
      const outcome = ledger.run(command, { cwd: dir, onInDoubt: 'execute' }).finally(() => (ended = true));
      await waitForLockWait(db, () => ended);
      // Meanwhile the call's owner records its result, under the same claim.
      await other.query(
        `UPDATE tool_calls SET status = 'completed', exit_code = 0, stdout = 'recorded', stderr = '', duration_ms = 1,
           completed_at = agentos_now_ms(), expires_at = agentos_now_ms() + 60000 WHERE key = $1`,
        [key],
      );
      await other.query('COMMIT');
      expect(await outcome).toMatchObject({ replayed: true, stdout: 'recorded' });
    } finally {
      other.release();
    }
    expect(existsSync(join(dir, 'side-effects.txt'))).toBe(false);
  });

  it('refuses to start a call under a lease that was taken over, and runs nothing; the holder’s call is logged', async () => {
    const db = await openPg();
    const dir = tempDir();
    const { leaseA, takeOver } = await twoWorkers(db);
    const leaseB = await takeOver();
    const ledger = new PgToolLedger(db);
    const command = 'echo ran >> side-effects.txt';
    await expect(ledger.run(command, { cwd: dir, lease: leaseA })).rejects.toThrow(
      /tool-start on work item "job" by worker "a" with epoch 1 refused: the item is now at epoch 2/,
    );
    expect(existsSync(join(dir, 'side-effects.txt'))).toBe(false);
    expect(await rows(db)).toEqual([]);
    expect(await ledger.run(command, { cwd: dir, lease: leaseB })).toMatchObject({ exitCode: 0, replayed: false });
    expect(await rows(db)).toMatchObject([{ status: 'completed', lease_item: 'job', lease_epoch: 2 }]);
    expect(await leaseLog(db, 'job')).toEqual(['acquire@1', 'acquire@2', 'tool-start@2', 'tool-finish@2']);
  });

  it('refuses the result when the lease was taken over while the command ran; the new holder finds it in doubt', async () => {
    const db = await openPg();
    const dir = tempDir();
    const { leaseA, takeOver } = await twoWorkers(db);
    const ledger = new PgToolLedger(db);
    const gate = join(dir, 'gate');
    execFileSync('mkfifo', [gate]);
    // The command records its effect, then waits on the fifo until the test has taken the lease over.
    const command = 'echo ran >> side-effects.txt; read go < gate';
    const outcome = ledger.run(command, { cwd: dir, lease: leaseA }).catch((e: unknown) => e);
    await until(() => existsSync(join(dir, 'side-effects.txt')));
    const leaseB = await takeOver();
    writeFileSync(gate, 'go\n');
    const error = await outcome;
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(String(error)).toMatch(/tool-finish on work item "job" by worker "a" with epoch 1 refused/);
    // Disowned: in doubt at once, not "in progress" while this process lives.
    expect(await rows(db)).toMatchObject([{ status: 'started', lease_epoch: 1, owner_pid: null }]);
    await expect(ledger.run(command, { cwd: dir, lease: leaseB })).rejects.toThrow(InDoubtToolCallError);
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('ran\n');
    expect(await leaseLog(db, 'job')).toEqual(['acquire@1', 'tool-start@1', 'acquire@2']);
  });

  it('runs a call again once its result expired by the server’s clock; cleanup() removes expired results', async () => {
    const db = await openPg();
    const dir = tempDir();
    const ledger = new PgToolLedger(db);
    const command = 'echo run >> side-effects.txt';
    await ledger.run(command, { cwd: dir });
    await ledger.run('true', { cwd: dir });
    await db.query("UPDATE tool_calls SET expires_at = agentos_now_ms() - 1 WHERE command = 'true'");
    expect(await ledger.cleanup()).toBe(1);
    await db.query('UPDATE tool_calls SET expires_at = agentos_now_ms() - 1');
    expect((await ledger.run(command, { cwd: dir })).replayed).toBe(false);
    expect(readFileSync(join(dir, 'side-effects.txt'), 'utf8')).toBe('run\nrun\n');
  });

  it('throws ToolSpawnError for a command that cannot start (missing cwd) and keeps no entry', async () => {
    const db = await openPg();
    const missing = join(tempDir(), 'missing');
    const ledger = new PgToolLedger(db);
    await expect(ledger.run('true', { cwd: missing })).rejects.toThrow(ToolSpawnError);
    expect(await rows(db)).toEqual([]);
  });
});
