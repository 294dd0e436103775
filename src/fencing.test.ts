import { describe, expect, it } from 'vitest';
import { useTempDb } from '../test/helpers/temp-db.js';
import { CheckpointManager, LeaseLostError, LeaseManager, RecoverySweep } from './index.js';

describe('fencing: writes made under a lease', () => {
  const tempDb = useTempDb();

  /** A holds "job" (epoch 1) until its lease expires; the sweep reclaims it and B takes it over (epoch 2). */
  function takeover() {
    const { db, clock, dir } = tempDb();
    const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 3000 });
    const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 3000 });
    a.enqueue([{ id: 'job', taskId: 'job-task' }]);
    const stale = a.acquire('job')!;
    clock.advance(5000);
    expect(new RecoverySweep(db, { createCheckpoints: false }).scanAndRecover().recovered).toBe(1);
    const fresh = b.acquire('job')!;
    return { db, dir, a, b, stale, fresh, checkpoints: new CheckpointManager(db, { baseDir: dir }) };
  }

  it('refuses a stale holder’s checkpoint after a takeover, naming the item, both epochs and the holder', async () => {
    const { a, stale, fresh, checkpoints } = takeover();
    expect(fresh.epoch).toBe(2);
    expect(() => a.renew(stale)).toThrow(LeaseLostError);
    const error: unknown = await checkpoints
      .commit(checkpoints.begin('job-task', 'stale-step', { by: 'a' }), undefined, { lease: stale })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LeaseLostError);
    expect((error as Error).message).toMatch(
      /checkpoint on work item "job" by worker "a" with epoch 1 refused: the item is now at epoch 2 \(leased by "b"\)/,
    );
    expect(error).toMatchObject({
      itemId: 'job',
      epoch: 1,
      currentEpoch: 2,
      currentHolder: 'b',
      operation: 'checkpoint',
    });
    expect(await checkpoints.getLast('job-task')).toBeNull();
    const accepted = await checkpoints.commit(checkpoints.begin('job-task', 'fresh-step', { by: 'b' }), undefined, {
      lease: fresh,
    });
    expect(await checkpoints.getLast('job-task')).toMatchObject({
      id: accepted.id,
      step: 'fresh-step',
      state: { by: 'b' },
    });
  });

  it('records the epoch on every row written under a lease, and logs acquisitions and writes in commit order', async () => {
    const { db, fresh, checkpoints } = takeover();
    await checkpoints.commit(checkpoints.begin('job-task', 'fresh-step', {}), undefined, { lease: fresh });
    await checkpoints.commit(checkpoints.begin('unleased', 'step', {}));
    const rows = db.sqlite.prepare('SELECT task_id, lease_item, lease_epoch FROM checkpoints ORDER BY id').all();
    expect(rows).toEqual([
      { task_id: 'job-task', lease_item: 'job', lease_epoch: 2 },
      { task_id: 'unleased', lease_item: null, lease_epoch: null },
    ]);
    const log = db.sqlite.prepare('SELECT item_id, epoch, holder, op FROM lease_log ORDER BY seq').all();
    expect(log).toEqual([
      { item_id: 'job', epoch: 1, holder: 'a', op: 'acquire' },
      { item_id: 'job', epoch: 1, holder: 'a', op: 'reclaim' },
      { item_id: 'job', epoch: 2, holder: 'b', op: 'acquire' },
      { item_id: 'job', epoch: 2, holder: 'b', op: 'checkpoint' },
    ]);
  });

  it('refuses a release after the lease expired, as it refuses renew and complete', () => {
    const { db, clock } = tempDb();
    const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 1000 });
    a.enqueue([{ id: 'job' }]);
    const lease = a.acquire()!;
    clock.advance(1500);
    expect(() => a.release(lease)).toThrow(
      /release on work item "job" by worker "a" with epoch 1 refused: the lease expired/,
    );
    expect(a.get('job')).toMatchObject({ status: 'leased', leaseHolder: 'a' });
  });

  it('takes over a named item whose lease expired without waiting for the sweep, fencing the old holder', () => {
    const { db, clock } = tempDb();
    const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 1000 });
    const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 1000 });
    a.enqueue([{ id: 'job' }]);
    const old = a.acquire('job')!;
    expect(b.acquire('job')).toBeNull();
    clock.advance(1000);
    expect(b.acquire('job')).toMatchObject({ epoch: 2, workerId: 'b' });
    expect(() => a.complete(old)).toThrow(/the item is now at epoch 2 \(leased by "b"\)/);
  });
});
