import { describe, expect, it } from 'vitest';
import { useTempDb } from '../test/helpers/temp-db.js';
import { CheckpointManager, LLMOutputCache, LeaseManager, Metrics, RecoverySweep } from './index.js';

describe('Metrics', () => {
  const tempDb = useTempDb();

  it('collects the seed’s monitoring list from components sharing one Metrics', () => {
    const { db, clock } = tempDb();
    const metrics = new Metrics();
    const cm = new CheckpointManager(db, { metrics });
    const leases = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 10, metrics });
    const cache = new LLMOutputCache(db, { metrics });
    for (let i = 0; i < 3; i++) cm.commit(cm.begin('t', `s${i}`, {}));
    leases.enqueue([{ id: 'a' }, { id: 'b' }]);
    leases.acquire();
    leases.acquire();
    clock.advance(10);
    new RecoverySweep(db, { metrics }).scanAndRecover();
    cache.get({ model: 'm', prompt: 'p' });
    cache.put({ model: 'm', prompt: 'p' }, 'x');
    cache.get({ model: 'm', prompt: 'p' });
    const snap = metrics.snapshot();
    expect(snap.counters).toMatchObject({ checkpointsCommitted: 3, leaseAcquisitions: 2, leaseExpirations: 2, sweeps: 1, cacheHits: 1, cacheMisses: 1 });
    expect(snap.checkpointCommitLatencyMs.count).toBe(3);
    expect(snap.checkpointCommitLatencyMs.p99).toBeGreaterThan(0);
    expect(snap.leaseExpirationRate).toBe(1);
    expect(snap.cacheHitRate).toBe(0.5);
    expect(snap.sweepDurationMs.count).toBe(1);
    expect(snap.toolReplayRate).toBeNull();
  });
});
