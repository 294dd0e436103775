import { describe, expect, it } from 'vitest';
import { useTempDb } from '../test/helpers/temp-db.js';
import { LeaseLostError, LeaseManager, RecoverySweep } from './index.js';

describe('LeaseManager', () => {
  const tempDb = useTempDb();

  it('hands each item to one worker, oldest first, and bumps the epoch on every acquisition', () => {
    const { db, clock } = tempDb();
    const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 1000 });
    const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 1000 });
    expect(a.enqueue([{ id: 'i1' }])).toBe(1);
    clock.advance(1);
    a.enqueue([{ id: 'i2', payload: { n: 2 } }, { id: 'i1' }]);
    const first = a.acquire();
    const second = b.acquire();
    expect(first).toMatchObject({ itemId: 'i1', epoch: 1, workerId: 'a' });
    expect(second).toMatchObject({ itemId: 'i2', epoch: 1, payload: { n: 2 } });
    expect(b.acquire()).toBeNull();
    a.release(first!);
    expect(b.acquire()).toMatchObject({ itemId: 'i1', epoch: 2, workerId: 'b' });
  });

  it('renews and completes while held', () => {
    const { db, clock } = tempDb();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 1000 });
    lm.enqueue([{ id: 'i' }]);
    const lease = lm.acquire()!;
    clock.advance(900);
    const renewed = lm.renew(lease);
    expect(renewed.expiresAt).toBe(lease.expiresAt + 900);
    clock.advance(900);
    lm.complete(renewed, { ok: true });
    expect(lm.get('i')).toMatchObject({ status: 'completed', leaseHolder: null });
  });

  it('refuses a stale-epoch holder after a takeover', () => {
    const { db, clock } = tempDb();
    const w1 = new LeaseManager(db, { workerId: 'w1', leaseDurationMs: 3000 });
    const w2 = new LeaseManager(db, { workerId: 'w2', leaseDurationMs: 3000 });
    const sweeper = new RecoverySweep(db);
    w1.enqueue([{ id: 'job' }]);
    const old = w1.acquire('job')!;
    clock.advance(3001);
    expect(sweeper.scanAndRecover().recovered).toBe(1);
    const taken = w2.acquire('job')!;
    expect(taken.epoch).toBe(old.epoch + 1);
    expect(() => w1.renew(old)).toThrow(LeaseLostError);
    expect(() => w1.complete(old)).toThrow(/epoch 1 refused: the item is now at epoch 2 \(leased by "w2"\)/);
    expect(() => w1.release(old)).toThrow(LeaseLostError);
    expect(w2.get('job')).toMatchObject({ status: 'leased', leaseHolder: 'w2', epoch: 2 });
    w2.complete(taken);
    expect(w2.get('job')?.status).toBe('completed');
  });

  it('refuses to renew or complete an expired lease even before anyone reclaims it', () => {
    const { db, clock } = tempDb();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 100 });
    lm.enqueue([{ id: 'i' }]);
    const lease = lm.acquire()!;
    clock.advance(100);
    expect(() => lm.renew(lease)).toThrow(/lease expired/);
    expect(() => lm.complete(lease)).toThrow(LeaseLostError);
    expect(lm.metrics.count('leaseLost')).toBe(2);
  });

  it('validates its options and ids', () => {
    const { db } = tempDb();
    expect(() => new LeaseManager(db, { workerId: '' })).toThrow(/workerId must be a non-empty string/);
    expect(() => new LeaseManager(db, { workerId: 'w', leaseDurationMs: -5 })).toThrow(/leaseDurationMs/);
    expect(() => new LeaseManager(db, { workerId: 'w' }).enqueue([{ id: '' }])).toThrow(/work item id/);
  });

  it('uses the partial index to find pending work', () => {
    const { db } = tempDb();
    const plan = db.sqlite
      .prepare("EXPLAIN QUERY PLAN SELECT id FROM work_items WHERE status = 'pending' ORDER BY created_at, id LIMIT 1")
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX work_items_pending/);
  });

  it('never hands out a task’s or a thread’s ownership lease from the queue, only by name', () => {
    const { db } = tempDb();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 1000 });
    lm.enqueue([{ id: 'task:t1' }, { id: 'thread:th1' }, { id: 'job-1' }]);
    expect(lm.acquire()?.itemId).toBe('job-1');
    expect(lm.acquire()).toBeNull();
    expect(lm.acquire('task:t1')?.itemId).toBe('task:t1');
  });
});
