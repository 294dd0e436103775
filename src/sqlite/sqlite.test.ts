import { describe, expect, it, vi } from 'vitest';
import { useTempDb } from '../../test/helpers/temp-db.js';
import { LeaseManager, RecoverySweep } from '../index.js';

describe('the SQLite store', () => {
  const tempDb = useTempDb();

  it('uses the partial index to find pending work', () => {
    const { db } = tempDb();
    const plan = db.sqlite
      .prepare("EXPLAIN QUERY PLAN SELECT id FROM work_items WHERE status = 'pending' ORDER BY created_at, id LIMIT 1")
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX work_items_pending/);
  });

  it('decides expiry by its injected clock: a lease runs exactly leaseDurationMs, and a renewal extends it from now', async () => {
    const { db, clock } = tempDb();
    const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 1000 });
    const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 1000 });
    await a.enqueue([{ id: 'job' }]);
    const lease = (await a.acquire('job'))!;
    expect(lease.expiresAt).toBe(clock.now() + 1000);
    clock.advance(900);
    const renewed = await a.renew(lease);
    expect(renewed.expiresAt).toBe(lease.expiresAt + 900);
    clock.advance(999);
    expect(await b.acquire('job')).toBeNull();
    clock.advance(1);
    expect(await b.acquire('job')).toMatchObject({ epoch: 2, workerId: 'b' });
  });

  it('logs the sweep’s reclaim between the old holder’s acquisition and the new one’s', async () => {
    const { db, clock } = tempDb();
    const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 3000 });
    const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 3000 });
    await a.enqueue([{ id: 'job' }]);
    await a.acquire('job');
    clock.advance(5000);
    expect((await new RecoverySweep(db, { createCheckpoints: false }).scanAndRecover()).recovered).toBe(1);
    expect((await b.acquire('job'))?.epoch).toBe(2);
    expect(db.sqlite.prepare('SELECT item_id, epoch, holder, op FROM lease_log ORDER BY seq').all()).toEqual([
      { item_id: 'job', epoch: 1, holder: 'a', op: 'acquire' },
      { item_id: 'job', epoch: 1, holder: 'a', op: 'reclaim' },
      { item_id: 'job', epoch: 2, holder: 'b', op: 'acquire' },
    ]);
  });

  // SQLite only: these spy on the adapter's prepared statements and pragmas.
  it('the sweep reclaims with one set-based UPDATE, and lets the connection drop its pages after each full batch', async () => {
    const { db, clock } = tempDb();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 1000 });
    await lm.enqueue(Array.from({ length: 7 }, (_, i) => ({ id: `i${i}` })));
    await lm.acquireBatch(7);
    clock.advance(1000);
    const prepare = vi.spyOn(db.sqlite, 'prepare');
    const pragma = vi.spyOn(db.sqlite, 'pragma');
    expect((await new RecoverySweep(db, { batchSize: 3 }).scanAndRecover()).recovered).toBe(7);
    expect(prepare.mock.calls.filter(([sql]) => sql.includes('UPDATE work_items')).length).toBe(1);
    // Batches of 3, 3 and 1: two were full.
    expect(pragma.mock.calls.filter(([p]) => p === 'shrink_memory').length).toBe(2);
  });
});
