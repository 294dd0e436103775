import { LeaseLostError, LeaseManager } from '../../../src/index.js';
import { monotonicMs } from '../../time.js';
import { defineWorkload } from '../workload.js';

const ENQUEUE_CHUNK = 100;

/**
 * Optionally enqueues items, then tries to acquire up to maxAttempts times, holding each lease for holdOps
 * renewals before completing (or keeping) it. Reports every acquisition with its epoch.
 */
export const leaseWorker = defineWorkload<'lease-worker'>({
  async run({ db, workerId, channel }, params) {
    const leases = new LeaseManager(db, { workerId, leaseDurationMs: params.leaseDurationMs });
    // In small chunks: V8 doubles its young generation once enough bytes have survived its collections, and a chunk's
    // objects survive while it is enqueued. With 5,000 (and often 500) per chunk the set-up worker's young generation
    // doubled and it peaked at 81-83 MB; with 100, at 74 MB in 10 runs out of 10.
    for (let start = 0; start < params.enqueue; start += ENQUEUE_CHUNK) {
      const size = Math.min(ENQUEUE_CHUNK, params.enqueue - start);
      leases.enqueue(
        Array.from({ length: size }, (_, i) => ({
          id: `${params.enqueuePrefix}${String(start + i).padStart(6, '0')}`,
        })),
      );
    }
    if (params.quiet && params.then === 'keep') {
      // Bulk set-up for scale tests: take every lease, a thousand per transaction.
      let acquired = 0;
      const limit = params.maxAcquisitions ?? Infinity;
      for (let more = true; more; ) {
        db.writeTransaction(() => {
          for (let i = 0; i < 1000; i++) {
            if (acquired >= limit || !leases.acquire()) {
              more = false;
              return;
            }
            acquired++;
          }
        });
      }
      return { acquired, attempts: acquired + 1, lost: 0 };
    }
    if (params.waitForGo) await channel.nextCommand();
    let acquired = 0;
    let attempts = 0;
    let lost = 0;
    while (attempts < params.maxAttempts && acquired < (params.maxAcquisitions ?? Infinity)) {
      attempts++;
      const lease = leases.acquire();
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
          leases.complete(lease);
          channel.emit({ kind: 'lease.completed', itemId: lease.itemId, epoch: lease.epoch, at });
        } else if (params.then === 'release') {
          leases.release(lease);
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
