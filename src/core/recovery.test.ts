import { afterEach, expect, it, vi } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { until } from '../../test/helpers/until.js';
import { CheckpointManager, LeaseManager, RECOVERY_TASK_PREFIX, RecoverySweep, type SweepStats } from '../index.js';

describeEachStore('RecoverySweep', (open) => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reclaims exactly the expired leases, logging each reclaim at the old holder’s epoch', async () => {
    const { db, expire, leaseLog, count } = await open();
    const short = new LeaseManager(db, { workerId: 'short', leaseDurationMs: 60_000 });
    const long = new LeaseManager(db, { workerId: 'long', leaseDurationMs: 60_000 });
    await short.enqueue(Array.from({ length: 10 }, (_, i) => ({ id: `i${i}` })));
    const expiring = await short.acquireBatch(6);
    const live = await long.acquireBatch(3);
    for (const l of expiring) await expire(l.itemId);
    const sweep = new RecoverySweep(db, { createCheckpoints: false });
    expect(await sweep.scanAndRecover()).toMatchObject({
      expiredFound: 6,
      recovered: 6,
      errors: 0,
      checkpointsCreated: 0,
    });
    for (const l of expiring) {
      expect(await short.get(l.itemId)).toMatchObject({ status: 'pending', leaseHolder: null, recoveries: 1 });
      expect(await leaseLog(l.itemId)).toEqual(['acquire@1:short', 'reclaim@1:short']);
    }
    for (const l of live) expect(await long.get(l.itemId)).toMatchObject({ status: 'leased', leaseHolder: 'long' });
    expect(await short.get('i9')).toMatchObject({ status: 'pending', recoveries: 0 });
    expect(await count('checkpoints')).toBe(0);
    expect((await sweep.scanAndRecover()).recovered).toBe(0);
    expect(sweep.metrics.snapshot().counters).toMatchObject({ sweeps: 2, leaseExpirations: 6 });
  });

  it('sweeps a backlog larger than batchSize in several batches, recording one checkpoint per recovered lease', async () => {
    const { db, expire } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    const ids = Array.from({ length: 10 }, (_, i) => `i${i}`);
    await lm.enqueue(ids.map((id) => ({ id })));
    await lm.acquireBatch(10);
    for (const id of ids) await expire(id);
    const batches = vi.spyOn(db.sweepStore, 'reclaimExpired');
    const stats = await new RecoverySweep(db, { batchSize: 3 }).scanAndRecover();
    // Batches of 3, 3, 3 and 1, each one call of the store: one transaction.
    expect(batches).toHaveBeenCalledTimes(4);
    expect(stats).toMatchObject({ expiredFound: 10, recovered: 10, errors: 0, checkpointsCreated: 10 });
    const cm = new CheckpointManager(db);
    for (const id of ids) {
      expect(await lm.get(id)).toMatchObject({ status: 'pending', recoveries: 1, leaseHolder: null });
      const recorded = await cm.list(`${RECOVERY_TASK_PREFIX}${id}`);
      expect(recorded.map((c) => [c.seq, c.step, c.verified, c.state])).toEqual([
        [1, 'lease-expired', true, expect.objectContaining({ itemId: id, taskId: null, holder: 'w', epoch: 1 })],
      ]);
    }
    expect((await new RecoverySweep(db, { batchSize: 3 }).scanAndRecover()).recovered).toBe(0);
  });

  it('numbers an item’s successive recovery checkpoints in one gap-free sequence', async () => {
    const { db, expire } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    const cm = new CheckpointManager(db);
    const task = `${RECOVERY_TASK_PREFIX}job`;
    await lm.enqueue([{ id: 'job', taskId: 'job-task' }]);
    const sweep = new RecoverySweep(db);
    for (const epoch of [1, 2]) {
      expect((await lm.acquire('job'))?.epoch).toBe(epoch);
      await expire('job');
      expect((await sweep.scanAndRecover()).checkpointsCreated).toBe(1);
    }
    // The task is the sweep's alone: no user checkpoint can join it (the prefix is reserved).
    expect(() => cm.begin(task, 'note', { by: 'operator' })).toThrow(/reserves for its own checkpoints/);
    expect((await cm.list(task)).map((c) => [c.seq, c.step, (c.state as { epoch?: number }).epoch])).toEqual([
      [1, 'lease-expired', 1],
      [2, 'lease-expired', 2],
    ]);
  });

  it('trims trimTasksPerSweep tasks per sweep, continuing where the last sweep stopped and wrapping around', async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db);
    const tasks = ['t1', 't2', 't3', 't4', 't5'];
    for (const task of tasks) for (let i = 0; i < 4; i++) await cm.commit(cm.begin(task, `s${i}`, {}));
    const sweep = new RecoverySweep(db, { retentionLimit: 2, trimTasksPerSweep: 2 });
    const counts = async () => Promise.all(tasks.map(async (t) => (await cm.list(t)).length));
    expect((await sweep.scanAndRecover()).checkpointsDeleted).toBe(4);
    expect(await counts()).toEqual([2, 2, 4, 4, 4]);
    expect((await sweep.scanAndRecover()).checkpointsDeleted).toBe(4);
    expect((await sweep.scanAndRecover()).checkpointsDeleted).toBe(2);
    expect(await counts()).toEqual([2, 2, 2, 2, 2]);
    // Wrapped around: the newest two of each task stay, numbering intact.
    await cm.commit(cm.begin('t1', 's4', {}));
    expect((await sweep.scanAndRecover()).checkpointsDeleted).toBe(1);
    expect((await cm.list('t1')).map((c) => c.seq)).toEqual([4, 5]);
    expect((await cm.commit(cm.begin('t1', 's5', {}))).seq).toBe(6);
  });

  it('records a checkpoint per recovered item and trims old checkpoints in the same sweep', async () => {
    const { db, expire } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    const cm = new CheckpointManager(db);
    for (let i = 0; i < 5; i++) await cm.commit(cm.begin('busy-task', `s${i}`, {}));
    await lm.enqueue([{ id: 'a', taskId: 'busy-task' }, { id: 'b' }]);
    await lm.acquire('a');
    await lm.acquire('b');
    await expire('a');
    await expire('b');
    const stats = await new RecoverySweep(db, { retentionLimit: 2 }).scanAndRecover();
    expect(stats).toMatchObject({ recovered: 2, checkpointsCreated: 2, checkpointsDeleted: 3 });
    expect(await cm.getLast(`${RECOVERY_TASK_PREFIX}a`)).toMatchObject({
      step: 'lease-expired',
      seq: 1,
      verified: true,
      state: { itemId: 'a', taskId: 'busy-task', holder: 'w', epoch: 1 },
    });
    expect((await cm.list('busy-task')).map((c) => c.seq)).toEqual([4, 5]);
  });

  it('removes the lease log of items completed longer ago than the retention, and keeps every other item’s', async () => {
    const { db, backdate, leaseLog } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 600_000 });
    await lm.enqueue([{ id: 'done' }, { id: 'open' }]);
    await lm.complete((await lm.acquire('done'))!);
    await lm.acquire('open');
    const sweep = new RecoverySweep(db, { leaseLogRetentionMs: 60_000, createCheckpoints: false });
    expect((await sweep.scanAndRecover()).leaseLogDeleted).toBe(0);
    await backdate('work_items', 'updated_at', 30_000);
    expect((await sweep.scanAndRecover()).leaseLogDeleted).toBe(0);
    await backdate('work_items', 'updated_at', 31_000);
    expect((await sweep.scanAndRecover()).leaseLogDeleted).toBe(2);
    expect(await leaseLog('done')).toEqual([]);
    expect(await leaseLog('open')).toEqual(['acquire@1:w']);
  });

  it('start() sweeps one sweep at a time, the next an interval after the last ended; stop() waits for it, leaving no timer', async () => {
    const { db, expire } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    await lm.enqueue([{ id: 'a' }]);
    await lm.acquire('a');
    await expire('a');
    const reclaim = db.sweepStore.reclaimExpired.bind(db.sweepStore);
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The second sweep is held mid-batch until released.
    vi.spyOn(db.sweepStore, 'reclaimExpired').mockImplementation(async (...args) => {
      if (++calls === 2) await gate;
      return reclaim(...args);
    });
    const seen: SweepStats[] = [];
    // Only the sweep's timer is faked: the store's I/O and until() run for real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const sweep = new RecoverySweep(db, { scanIntervalMs: 50, onSweep: (stats) => seen.push(stats) });
      sweep.start();
      sweep.start();
      expect(sweep.running).toBe(true);
      vi.advanceTimersByTime(50);
      expect(calls).toBe(1);
      await until(() => seen.length === 1);
      vi.advanceTimersByTime(50);
      expect(calls).toBe(2);
      // However long the held sweep takes, no other starts meanwhile.
      vi.advanceTimersByTime(500);
      expect(calls).toBe(2);
      let stopped = false;
      const stopping = sweep.stop().then(() => (stopped = true));
      await new Promise(setImmediate);
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(sweep.running).toBe(false);
      vi.advanceTimersByTime(500);
      expect(calls).toBe(2);
      expect(seen.map((s) => [s.recovered, s.errors])).toEqual([
        [1, 0],
        [0, 0],
      ]);
      expect(sweep.metrics.count('sweeps')).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts a failed background sweep and reports it to onSweep, and the sweeps go on', async () => {
    const { db, expire } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    await lm.enqueue([{ id: 'a' }]);
    await lm.acquire('a');
    await expire('a');
    vi.spyOn(db.sweepStore, 'reclaimExpired').mockRejectedValueOnce(new Error('disk on fire'));
    const seen: [SweepStats, unknown][] = [];
    const sweep = new RecoverySweep(db, { scanIntervalMs: 1, onSweep: (stats, error) => seen.push([stats, error]) });
    sweep.start();
    await until(() => seen.length >= 2);
    await sweep.stop();
    const [[failed, error], [next, none]] = seen as [[SweepStats, unknown], [SweepStats, unknown]];
    expect(failed).toMatchObject({ errors: 1, recovered: 0 });
    expect((error as Error).message).toBe('disk on fire');
    expect(next).toMatchObject({ errors: 0, recovered: 1 });
    expect(none).toBeUndefined();
    expect(sweep.metrics.count('sweepErrors')).toBe(1);
    expect((await lm.get('a'))?.status).toBe('pending');
  });

  it('validates its options', async () => {
    const { db } = await open();
    for (const option of ['scanIntervalMs', 'retentionLimit', 'batchSize', 'trimTasksPerSweep', 'leaseLogRetentionMs'])
      expect(() => new RecoverySweep(db, { [option]: 0 })).toThrow(option);
  });
});
