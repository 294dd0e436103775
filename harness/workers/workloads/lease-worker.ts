import { LeaseLostError, type LeaseManager } from '../../../src/index.js';
import type { WorkloadParams } from './params.js';
import { monotonicMs } from '../../time.js';
import { defineWorkload } from '../workload.js';

const ENQUEUE_CHUNK = 100;

/**
 * Optionally enqueues items, then tries to acquire up to maxAttempts times, holding each lease for holdOps
 * renewals before completing (or keeping) it. Reports every acquisition with its epoch.
 */
export const leaseWorker = defineWorkload<'lease-worker'>({
  async run({ workerId, channel, openSubject }, params) {
    const store = await openSubject();
    if (!store.leases) throw new Error('lease-worker needs a subject with leases');
    const { leases } = store.leases({ workerId, leaseDurationMs: params.leaseDurationMs });
    if (params.quiet && params.then === 'keep') return bulkKeep(leases, params);
    // In small chunks: V8 doubles its young generation once enough bytes have survived its collections, and a chunk's
    // objects survive while it is enqueued. With 5,000 (and often 500) per chunk the set-up worker's young generation
    // doubled and it peaked at 81-83 MB; with 100, at 74 MB in 10 runs out of 10.
    await enqueue(leases, params);
    if (params.waitForGo) await channel.nextCommand();
    let acquired = 0;
    let attempts = 0;
    let lost = 0;
    while (attempts < params.maxAttempts && acquired < (params.maxAcquisitions ?? Infinity)) {
      attempts++;
      const lease = await leases.acquire();
      if (!lease) {
        channel.emit({ kind: 'lease.none' });
        if (params.then === 'keep') break;
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      acquired++;
      channel.emit({
        kind: 'lease.acquired',
        itemId: lease.itemId,
        epoch: lease.epoch,
        expiresAt: lease.expiresAt,
        at: monotonicMs(),
      });
      try {
        const at = monotonicMs();
        if (params.then === 'complete') {
          await leases.complete(lease);
          channel.emit({ kind: 'lease.completed', itemId: lease.itemId, epoch: lease.epoch, at });
        } else if (params.then === 'release') {
          await leases.release(lease);
          channel.emit({ kind: 'lease.released', itemId: lease.itemId, epoch: lease.epoch, at });
        }
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        lost++;
        channel.emit({
          kind: 'lease.lost',
          itemId: lease.itemId,
          epoch: lease.epoch,
          operation: error.operation,
          message: error.message,
        });
      }
    }
    return { acquired, attempts, lost };
  },
});

async function enqueue(leases: LeaseManager, params: WorkloadParams<'lease-worker'>): Promise<void> {
  for (let start = 0; start < params.enqueue; start += ENQUEUE_CHUNK) {
    const size = Math.min(ENQUEUE_CHUNK, params.enqueue - start);
    await leases.enqueue(
      Array.from({ length: size }, (_, i) => ({
        id: `${params.enqueuePrefix}${String(start + i).padStart(6, '0')}`,
      })),
    );
  }
}

/** Bulk set-up for scale tests: enqueue, then take every lease, a thousand per transaction. */
async function bulkKeep(leases: LeaseManager, params: WorkloadParams<'lease-worker'>): Promise<Record<string, number>> {
  await enqueue(leases, params);
  let acquired = 0;
  const limit = params.maxAcquisitions ?? Infinity;
  for (let more = true; more; ) {
    const want = Math.min(1000, limit - acquired);
    const taken = want > 0 ? (await leases.acquireBatch(want)).length : 0;
    acquired += taken;
    more = taken === want && taken > 0;
  }
  return { acquired, attempts: acquired + 1, lost: 0 };
}
