import { expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { CheckpointManager, InvalidArgumentError, LeaseLostError, LeaseManager } from '../index.js';
import { ensureOwnershipItem } from './leases.js';

describeEachStore('LeaseManager', (open) => {
  it('hands each item to one worker, oldest first, and bumps the epoch on every acquisition', async () => {
    const { db } = await open();
    const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 60_000 });
    const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 60_000 });
    expect(await a.enqueue([{ id: 'i1' }])).toBe(1);
    expect(await a.enqueue([{ id: 'i2', payload: { n: 2 } }, { id: 'i1' }])).toBe(1);
    const first = await a.acquire();
    const second = await b.acquire();
    expect(first).toMatchObject({ itemId: 'i1', epoch: 1, workerId: 'a' });
    expect(second).toMatchObject({ itemId: 'i2', epoch: 1, payload: { n: 2 } });
    expect(await b.acquire()).toBeNull();
    await a.release(first!);
    expect(await b.acquire()).toMatchObject({ itemId: 'i1', epoch: 2, workerId: 'b' });
  });

  it('renews and completes while held, and logs each in commit order', async () => {
    const { db, leaseLog } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    await lm.enqueue([{ id: 'i' }]);
    const lease = (await lm.acquire())!;
    const renewed = await lm.renew(lease);
    expect(renewed.expiresAt).toBeGreaterThanOrEqual(lease.expiresAt);
    await lm.complete(renewed, { ok: true });
    expect(await lm.get('i')).toMatchObject({ status: 'completed', leaseHolder: null });
    expect(lm.metrics.snapshot().counters).toMatchObject({
      leaseAcquisitions: 1,
      leaseRenewals: 1,
      leaseCompletions: 1,
    });
    expect(await leaseLog('i')).toEqual(['acquire@1:w', 'renew@1:w', 'complete@1:w']);
  });

  it('refuses a stale holder after a takeover, on every write, naming both epochs and the new holder', async () => {
    const { db, expire, leaseLog, count } = await open();
    const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 60_000 });
    const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 60_000 });
    const cm = new CheckpointManager(db);
    await a.enqueue([{ id: 'job', taskId: 'job-task' }]);
    const stale = (await a.acquire())!;
    await cm.commit(cm.begin('job-task', 'one', 1), undefined, { lease: stale });
    await expire('job');
    const fresh = (await b.acquire('job'))!;
    expect(fresh.epoch).toBe(2);

    const refused: unknown = await cm
      .commit(cm.begin('job-task', 'two', 2), undefined, { lease: stale })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LeaseLostError);
    expect((refused as Error).message).toMatch(
      /checkpoint on work item "job" by worker "a" with epoch 1 refused: the item is now at epoch 2 \(leased by "b"\)/,
    );
    expect(refused).toMatchObject({ itemId: 'job', epoch: 1, currentEpoch: 2, currentHolder: 'b' });
    await expect(a.renew(stale)).rejects.toThrow(LeaseLostError);
    await expect(a.complete(stale)).rejects.toThrow(/epoch 1 refused: the item is now at epoch 2 \(leased by "b"\)/);
    await expect(a.release(stale)).rejects.toThrow(LeaseLostError);
    expect(a.metrics.count('leaseLost')).toBe(3);

    // The refused commit left no row and no gap: the new holder's checkpoint is seq 2.
    expect((await cm.commit(cm.begin('job-task', 'two', 2), undefined, { lease: fresh })).seq).toBe(2);
    expect(await count('checkpoints')).toBe(2);
    await b.complete(fresh, { ok: true });
    expect((await b.get('job'))?.status).toBe('completed');
    expect(await leaseLog('job')).toEqual([
      'acquire@1:a',
      'checkpoint@1:a',
      'acquire@2:b',
      'checkpoint@2:b',
      'complete@2:b',
    ]);
  });

  it('refuses to renew, complete or release an expired lease even before anyone takes it', async () => {
    const { db, expire } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    await lm.enqueue([{ id: 'i' }]);
    const lease = (await lm.acquire())!;
    await expire('i');
    await expect(lm.renew(lease)).rejects.toThrow(/lease expired/);
    await expect(lm.complete(lease)).rejects.toThrow(LeaseLostError);
    await expect(lm.release(lease)).rejects.toThrow(
      /release on work item "i" by worker "w" with epoch 1 refused: the lease expired/,
    );
    expect(await lm.get('i')).toMatchObject({ status: 'leased', leaseHolder: 'w' });
    expect(lm.metrics.count('leaseLost')).toBe(3);
  });

  it('takes over a named item whose lease expired without waiting for the sweep, fencing the old holder', async () => {
    const { db, expire } = await open();
    const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 60_000 });
    const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 60_000 });
    await a.enqueue([{ id: 'job' }]);
    const old = (await a.acquire('job'))!;
    expect(await b.acquire('job')).toBeNull();
    await expire('job');
    expect(await b.acquire('job')).toMatchObject({ epoch: 2, workerId: 'b' });
    await expect(a.complete(old)).rejects.toThrow(/the item is now at epoch 2 \(leased by "b"\)/);
  });

  it('hands each pending item to exactly one of several concurrent batch acquirers, skipping ownership leases', async () => {
    const { db, reopen } = await open();
    const handles = [db, await reopen(), await reopen()];
    const workers = handles.map((h, i) => new LeaseManager(h, { workerId: `w${i}` }));
    const ids = Array.from({ length: 60 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
    expect(await workers[0]!.enqueue(ids.map((id) => ({ id })))).toBe(60);
    await ensureOwnershipItem(db, 'task:owned', 'owned');
    const taken: string[] = [];
    await Promise.all(
      workers.map(async (w) => {
        for (;;) {
          const batch = await w.acquireBatch(7);
          if (batch.length === 0) return;
          taken.push(...batch.map((l) => l.itemId));
        }
      }),
    );
    expect(taken.sort()).toEqual(ids);
  });

  it('completes a batch in one transaction, refusing (and writing nothing for) a lease taken over meanwhile', async () => {
    const { db, expire, leaseLog } = await open();
    const a = new LeaseManager(db, { workerId: 'a' });
    const b = new LeaseManager(db, { workerId: 'b' });
    await a.enqueue([{ id: 'x' }, { id: 'y' }, { id: 'z' }]);
    const batch = await a.acquireBatch(3);
    expect(batch.map((l) => l.itemId)).toEqual(['x', 'y', 'z']);
    await expire('y');
    expect((await b.acquire('y'))?.epoch).toBe(2);
    const refused = await a.completeBatch(batch);
    expect(refused.map((l) => l.itemId)).toEqual(['y']);
    expect((await a.get('x'))?.status).toBe('completed');
    expect((await a.get('y'))?.leaseHolder).toBe('b');
    expect(await leaseLog('y')).toEqual(['acquire@1:a', 'acquire@2:b']);
    await expect(b.completeBatch(batch)).rejects.toThrow(InvalidArgumentError);
  });

  it('records the epoch on every checkpoint written under a lease, and none on the others', async () => {
    const { db, select } = await open();
    const lm = new LeaseManager(db, { workerId: 'w' });
    await lm.enqueue([{ id: 'job' }]);
    const lease = (await lm.acquire())!;
    const cm = new CheckpointManager(db);
    await cm.commit(cm.begin('job-task', 'fenced', {}), undefined, { lease });
    await cm.commit(cm.begin('unleased', 'step', {}));
    expect(await select('SELECT task_id, lease_item, lease_epoch FROM checkpoints ORDER BY id')).toEqual([
      { task_id: 'job-task', lease_item: 'job', lease_epoch: 1 },
      { task_id: 'unleased', lease_item: null, lease_epoch: null },
    ]);
  });

  it('validates its options and ids', async () => {
    const { db } = await open();
    expect(() => new LeaseManager(db, { workerId: '' })).toThrow(/workerId must be a non-empty string/);
    expect(() => new LeaseManager(db, { workerId: 'w', leaseDurationMs: -5 })).toThrow(/leaseDurationMs/);
    await expect(new LeaseManager(db, { workerId: 'w' }).enqueue([{ id: '' }])).rejects.toThrow(/work item id/);
    await expect(new LeaseManager(db, { workerId: 'w' }).acquireBatch(0)).rejects.toThrow(/limit/);
  });

  it('never hands out a task’s or a thread’s ownership lease from the queue, only by name', async () => {
    const { db } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    await ensureOwnershipItem(db, 'task:t1', 't1');
    await ensureOwnershipItem(db, 'thread:th1', null);
    await lm.enqueue([{ id: 'job-1' }]);
    expect((await lm.acquire())?.itemId).toBe('job-1');
    expect(await lm.acquire()).toBeNull();
    expect((await lm.acquire('task:t1'))?.itemId).toBe('task:t1');
  });

  it('refuses a work item id in the ownership namespace, writing nothing: it would be a task’s or a thread’s lease', async () => {
    const { db, count } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    for (const id of ['task:t1', 'thread:th1'])
      await expect(lm.enqueue([{ id: 'job-1' }, { id }])).rejects.toThrow(
        new RegExp(`work item id "${id}" starts with "${id.split(':')[0]}:", which the layer reserves`),
      );
    expect(await count('work_items')).toBe(0);
    await expect(ensureOwnershipItem(db, 'job-1', null)).rejects.toThrow(InvalidArgumentError);
  });
});
