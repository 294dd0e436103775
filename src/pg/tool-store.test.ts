import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lines } from '../../test/helpers/lines.js';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { pgSkipReason, useTempPg } from '../../test/helpers/temp-pg.js';
import { LeaseManager } from '../core/leases.js';
import { ToolLedger } from '../core/tool-ledger.js';
import { InDoubtToolCallError, ToolCallInProgressError } from '../errors.js';
import type { PgDatabase } from './db.js';

/** What a process on another machine that is running the call (or stopped) has left: a started row with its owner. */
async function startedElsewhere(db: PgDatabase, key: string, command: string, cwd: string, lease?: [string, number]) {
  await db.query(
    `INSERT INTO tool_calls (key, command, cwd, status, claim, started_at, owner_host, owner_pid_space, owner_pid,
       owner_start, lease_item, lease_epoch)
     VALUES ($1, $2, $3, 'started', 'left-behind', agentos_now_ms(), 'host-b', 'another-boot/pid:[1]', 4242,
       'another-boot:1', $4, $5)`,
    [key, command, cwd, lease?.[0] ?? null, lease?.[1] ?? null],
  );
}

/** Resolves once some session of the server waits for a lock, or `ended()` (checked on every turn of the event loop). */
async function waitForLockWait(db: PgDatabase, ended: () => boolean): Promise<void> {
  while (!ended()) {
    const [row] = await db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM pg_locks WHERE NOT granted');
    if ((row?.n ?? 0) > 0) return;
    await new Promise(setImmediate);
  }
}

// What only PostgreSQL's tool store meets: workers on other machines (a SQLite file is not shared between machines),
// and a claim that waits on another session's lock on the call's row.
describe.skipIf(pgSkipReason !== undefined)('The tool store on PostgreSQL', () => {
  const openPg = useTempPg();
  const tempDir = useTempDir();

  it('counts a call from another machine in progress while its lease is held, in doubt once it is lost; without a lease until forget()', async () => {
    const db = await openPg();
    const dir = tempDir();
    const ledger = new ToolLedger(db);
    const [a, b] = ['a', 'b'].map((workerId) => new LeaseManager(db, { workerId, leaseDurationMs: 60_000 }));
    await a!.enqueue([{ id: 'job' }]);
    const leaseA = (await a!.acquire('job'))!;
    const leased = 'echo leased >> side-effects.txt';
    await startedElsewhere(db, ledger.keyOf(leased, { cwd: dir }), leased, dir, ['job', leaseA.epoch]);
    const busy = await ledger.run(leased, { cwd: dir, onInDoubt: 'execute' }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ToolCallInProgressError);
    expect(String(busy)).toMatch(/started by process 4242 on host "host-b"/);
    await db.query("UPDATE work_items SET lease_expires_at = agentos_now_ms() - 1 WHERE id = 'job'");
    const leaseB = (await b!.acquire('job'))!;
    await expect(ledger.run(leased, { cwd: dir, lease: leaseB })).rejects.toThrow(InDoubtToolCallError);

    // Without a lease nothing shows that the other machine's process is gone: in progress until forget().
    const bare = 'echo bare >> side-effects.txt';
    await startedElsewhere(db, ledger.keyOf(bare, { cwd: dir }), bare, dir);
    await expect(ledger.run(bare, { cwd: dir, onInDoubt: 'execute' })).rejects.toThrow(ToolCallInProgressError);
    expect(await ledger.forget(bare, { cwd: dir })).toBe(true);
    expect((await ledger.run(bare, { cwd: dir })).replayed).toBe(false);
    expect(lines(join(dir, 'side-effects.txt'))).toEqual(['bare']);
  });

  it('replays a result recorded while its claim waited for the row’s lock, instead of running the call again', async () => {
    const db = await openPg();
    const dir = tempDir();
    const ledger = new ToolLedger(db);
    const command = 'echo run >> side-effects.txt';
    const key = ledger.keyOf(command, { cwd: dir });
    // A call in doubt: started, its owner cleared (its lease was lost).
    await db.query(
      `INSERT INTO tool_calls (key, command, cwd, status, claim, started_at) VALUES ($1, $2, $3, 'started', 'x', 0)`,
      [key, command, dir],
    );
    // Another session holds the row: the ledger reads it as in doubt, then its claim waits for the lock.
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
});
