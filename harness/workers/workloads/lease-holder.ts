import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isOwnershipItem } from '../../../src/core/leases.js';
import { LeaseLostError, type Lease } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

/**
 * Acquires one named item, then, each when the harness says so: renews or completes it, commits a checkpoint to the
 * item's task, or records a tool call that appends this worker's id to effects/<item>.log — every write made under
 * the lease. Refusals are reported as lease.lost; every command ends with command.done.
 */
export const leaseHolder = defineWorkload<'lease-holder'>({
  async run({ workerId, runDir, channel, openSubject }, params) {
    const store = await openSubject();
    if (!store.leases) throw new Error('lease-holder needs a subject with leases');
    const { tools } = store;
    const subjectLeases = store.leases({ workerId, leaseDurationMs: params.leaseDurationMs });
    const { leases, checkpoints } = subjectLeases;
    const taskId = params.taskId ?? `${params.itemId}-task`;
    // A task's or a thread's lease is the layer's own item, which enqueue refuses.
    if (isOwnershipItem(params.itemId)) await subjectLeases.ensureOwnershipItem(params.itemId, taskId);
    else await leases.enqueue([{ id: params.itemId, taskId }]);
    const acquired = await leases.acquire(params.itemId);
    if (!acquired) {
      channel.emit({ kind: 'lease.none' });
      return { acquired: 0 };
    }
    let lease: Lease = acquired;
    channel.emit({ kind: 'lease.acquired', itemId: lease.itemId, epoch: lease.epoch, expiresAt: lease.expiresAt });
    mkdirSync(join(runDir, 'effects'), { recursive: true });
    let lost = 0;
    for (;;) {
      const command = await channel.nextCommand();
      if (command.cmd === 'stop') break;
      let outcome: 'ok' | 'refused' = 'ok';
      try {
        if (command.cmd === 'renew') {
          lease = await leases.renew(lease);
          channel.emit({ kind: 'lease.renewed', itemId: lease.itemId, epoch: lease.epoch, expiresAt: lease.expiresAt });
        } else if (command.cmd === 'complete') {
          await leases.complete(lease);
          channel.emit({ kind: 'lease.completed', itemId: lease.itemId, epoch: lease.epoch });
        } else if (command.cmd === 'checkpoint') {
          const started = performance.now();
          const c = await checkpoints.commit(
            checkpoints.begin(taskId, `by-${workerId}`, { workerId, epoch: lease.epoch }),
            undefined,
            { lease },
          );
          channel.emit({
            kind: 'checkpoint.committed',
            taskId,
            seq: c.seq,
            id: c.id,
            latencyMs: performance.now() - started,
          });
        } else if (command.cmd === 'tool') {
          if (!tools) throw new Error('the tool command needs a subject with a tool ledger');
          await tools.run(`echo ${workerId} >> effects/${params.itemId}.log`, { cwd: runDir, lease });
        }
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        lost++;
        outcome = 'refused';
        channel.emit({
          kind: 'lease.lost',
          itemId: lease.itemId,
          epoch: lease.epoch,
          operation: error.operation,
          message: error.message,
        });
      }
      channel.emit({ kind: 'command.done', cmd: command.cmd, outcome });
      if (command.cmd === 'complete' && outcome === 'ok') break;
    }
    return { acquired: 1, lost };
  },
});
