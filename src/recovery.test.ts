import { describe, expect, it, vi } from 'vitest';
import { useTempDb } from '../test/helpers/temp-db.js';
import { CheckpointManager, LeaseManager, RECOVERY_TASK_PREFIX, RecoverySweep } from './index.js';

describe('RecoverySweep', () => {
  const tempDb = useTempDb();

  it('reclaims exactly the expired leases, in one statement', async () => {
    const { db, clock } = tempDb();
    const short = new LeaseManager(db, { workerId: 'short', leaseDurationMs: 1000 });
    const long = new LeaseManager(db, { workerId: 'long', leaseDurationMs: 60_000 });
    await short.enqueue(Array.from({ length: 10 }, (_, i) => ({ id: `i${i}` })));
    const expiring = await short.acquireBatch(6);
    const live = await long.acquireBatch(3);
    clock.advance(1000);
    const spy = vi.spyOn(db.sqlite, 'prepare');
    const sweep = new RecoverySweep(db, { createCheckpoints: false });
    const stats = sweep.scanAndRecover();
    // The sweep prepares exactly one UPDATE of work_items, and it is set-based (no per-row loop in a transaction each).
    expect(spy.mock.calls.filter(([sql]) => sql.includes('UPDATE work_items')).length).toBe(1);
    spy.mockRestore();
    expect(stats).toMatchObject({ expiredFound: 6, recovered: 6, errors: 0, checkpointsCreated: 0 });
    for (const l of expiring)
      expect(await short.get(l.itemId)).toMatchObject({ status: 'pending', leaseHolder: null, recoveries: 1 });
    for (const l of live) expect(await long.get(l.itemId)).toMatchObject({ status: 'leased', leaseHolder: 'long' });
    expect(await short.get('i9')).toMatchObject({ status: 'pending', recoveries: 0 });
    expect(sweep.scanAndRecover().recovered).toBe(0);
  });

  it('sweeps a backlog larger than batchSize in several transactions, recovering every lease once', async () => {
    const { db, clock } = tempDb();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 10 });
    await lm.enqueue(Array.from({ length: 10 }, (_, i) => ({ id: `i${i}` })));
    for (let i = 0; i < 10; i++) await lm.acquire();
    clock.advance(10);
    const transactions = vi.spyOn(db, 'writeTransaction');
    const stats = new RecoverySweep(db, { batchSize: 3 }).scanAndRecover();
    // Batches of 3, 3, 3 and 1, then the trim.
    expect(transactions).toHaveBeenCalledTimes(5);
    transactions.mockRestore();
    expect(stats).toMatchObject({ expiredFound: 10, recovered: 10, errors: 0, checkpointsCreated: 10 });
    const cm = new CheckpointManager(db);
    for (let i = 0; i < 10; i++) {
      expect(await lm.get(`i${i}`)).toMatchObject({ status: 'pending', recoveries: 1, leaseHolder: null });
      expect(
        (await cm.list(`${RECOVERY_TASK_PREFIX}i${i}`)).map((c) => [c.seq, (c.state as { holder: string }).holder]),
      ).toEqual([[1, 'w']]);
    }
    expect(new RecoverySweep(db, { batchSize: 3 }).scanAndRecover().recovered).toBe(0);
  });

  it('trims trimTasksPerSweep tasks per sweep, continuing where the last sweep stopped and wrapping around', async () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    for (const task of ['t1', 't2', 't3', 't4', 't5'])
      for (let i = 0; i < 4; i++) await cm.commit(cm.begin(task, `s${i}`, {}));
    const sweep = new RecoverySweep(db, { retentionLimit: 2, trimTasksPerSweep: 2 });
    const counts = async () => Promise.all(['t1', 't2', 't3', 't4', 't5'].map(async (t) => (await cm.list(t)).length));
    expect(sweep.scanAndRecover().checkpointsDeleted).toBe(4);
    expect(await counts()).toEqual([2, 2, 4, 4, 4]);
    expect(sweep.scanAndRecover().checkpointsDeleted).toBe(4);
    expect(sweep.scanAndRecover().checkpointsDeleted).toBe(2);
    expect(await counts()).toEqual([2, 2, 2, 2, 2]);
    // Wrapped around: the newest two of each task stay, numbering intact.
    await cm.commit(cm.begin('t1', 's4', {}));
    expect(sweep.scanAndRecover().checkpointsDeleted).toBe(1);
    expect((await cm.list('t1')).map((c) => c.seq)).toEqual([4, 5]);
  });

  it('records a checkpoint per recovered item and trims old checkpoints', async () => {
    const { db, clock } = tempDb();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 10 });
    const cm = new CheckpointManager(db);
    for (let i = 0; i < 5; i++) await cm.commit(cm.begin('busy-task', `s${i}`, {}));
    await lm.enqueue([{ id: 'a', taskId: 'busy-task' }, { id: 'b' }]);
    await lm.acquire();
    await lm.acquire();
    clock.advance(10);
    const stats = new RecoverySweep(db, { retentionLimit: 2 }).scanAndRecover();
    expect(stats).toMatchObject({ recovered: 2, checkpointsCreated: 2, checkpointsDeleted: 3 });
    expect(await cm.getLast(`${RECOVERY_TASK_PREFIX}a`)).toMatchObject({
      step: 'lease-expired',
      seq: 1,
      state: { itemId: 'a', taskId: 'busy-task', holder: 'w', epoch: 1 },
    });
    expect((await cm.list('busy-task')).map((c) => c.seq)).toEqual([4, 5]);
  });

  it('removes the lease log of items completed longer ago than the retention, and keeps every other item’s', async () => {
    const { db, clock } = tempDb();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    await lm.enqueue([{ id: 'done' }, { id: 'open' }]);
    await lm.complete((await lm.acquire('done'))!);
    await lm.acquire('open');
    const logOf = (item: string): number =>
      db.sqlite.prepare('SELECT COUNT(*) FROM lease_log WHERE item_id = ?').pluck().get(item) as number;
    const sweep = new RecoverySweep(db, { leaseLogRetentionMs: 1000, createCheckpoints: false });
    expect(sweep.scanAndRecover().leaseLogDeleted).toBe(0);
    clock.advance(999);
    expect(sweep.scanAndRecover().leaseLogDeleted).toBe(0);
    clock.advance(1);
    expect(sweep.scanAndRecover().leaseLogDeleted).toBe(2);
    expect([logOf('done'), logOf('open')]).toEqual([0, 1]);
  });

  it('start() runs sweeps on a timer and stop() leaves none', async () => {
    vi.useFakeTimers();
    try {
      const { db, clock } = tempDb();
      const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 10 });
      await lm.enqueue([{ id: 'a' }]);
      await lm.acquire();
      clock.advance(10);
      const seen: number[] = [];
      const sweep = new RecoverySweep(db, { scanIntervalMs: 50, onSweep: (s) => seen.push(s.recovered) });
      sweep.start();
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(120);
      expect(seen).toEqual([1, 0]);
      sweep.stop();
      expect(sweep.running).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
