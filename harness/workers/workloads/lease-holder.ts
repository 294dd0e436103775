import { LeaseLostError, LeaseManager, type Lease } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

/** Acquires one named item, then renews or completes it when the harness says so, reporting refusals. */
export const leaseHolder = defineWorkload<'lease-holder'>({
  async run({ db, workerId, channel }, params) {
    const leases = new LeaseManager(db, { workerId, leaseDurationMs: params.leaseDurationMs });
    leases.enqueue([{ id: params.itemId }]);
    const acquired = leases.acquire(params.itemId);
    if (!acquired) {
      channel.emit({ kind: 'lease.none' });
      return { acquired: 0 };
    }
    let lease: Lease<unknown> = acquired;
    channel.emit({ kind: 'lease.acquired', itemId: lease.itemId, epoch: lease.epoch, expiresAt: lease.expiresAt });
    let lost = 0;
    for (;;) {
      const command = await channel.nextCommand();
      if (command.cmd === 'stop') break;
      try {
        if (command.cmd === 'renew') {
          lease = leases.renew(lease);
          channel.emit({ kind: 'lease.renewed', itemId: lease.itemId, epoch: lease.epoch, expiresAt: lease.expiresAt });
        } else if (command.cmd === 'complete') {
          leases.complete(lease);
          channel.emit({ kind: 'lease.completed', itemId: lease.itemId, epoch: lease.epoch });
          break;
        }
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        lost++;
        channel.emit({ kind: 'lease.lost', itemId: lease.itemId, epoch: lease.epoch, operation: error.operation, message: error.message });
      }
    }
    return { acquired: 1, lost };
  },
});
