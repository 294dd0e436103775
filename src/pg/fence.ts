import { LeaseLostError, type LeasedOperation } from '../errors.js';
import { leaseLost, type Fence, type LeasedItemState } from '../core/fence.js';
import type { PgDatabase } from './db.js';

/**
 * The LeaseLostError for a write the server refused, describing the item as it is now by the server's clock. The
 * refusal stands even when that description cannot be read (the write is known not to have happened).
 */
export async function refusal(db: PgDatabase, fence: Fence, operation: LeasedOperation): Promise<LeaseLostError> {
  try {
    const [row] = await db.query<LeasedItemState & { now: number }>(
      `SELECT epoch, status, lease_holder, lease_expires_at, agentos_now_ms() AS now FROM work_items WHERE id = $1`,
      [fence.itemId],
    );
    // Without a row, the message says the item does not exist and uses no time.
    return leaseLost(fence, operation, row, row?.now ?? 0);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return new LeaseLostError(
      fence.itemId,
      fence.epoch,
      fence.workerId,
      operation,
      `its state could not be read (${why})`,
    );
  }
}

/**
 * The fencing condition on a work_items row, checked by the server in the write's own statement: the item is leased to
 * `holder` at `epoch` and the lease has not expired by the server's clock. Arguments are the statement's parameters.
 */
export function leaseHeld(item = '$1', epoch = '$2', holder = '$3'): string {
  return `id = ${item} AND epoch = ${epoch} AND lease_holder = ${holder} AND status = 'leased' AND lease_expires_at > agentos_now_ms()`;
}
