import type { LeaseLostError, LeasedOperation } from '../errors.js';
import { leaseLost, type Fence, type LeasedItemState } from '../fencing.js';
import type { PgDatabase } from './db.js';

/** The LeaseLostError for a write the server refused, describing the item as it is now by the server's clock. */
export async function refusal(db: PgDatabase, fence: Fence, operation: LeasedOperation): Promise<LeaseLostError> {
  const [row] = await db.query<LeasedItemState & { now: number }>(
    `SELECT epoch, status, lease_holder, lease_expires_at, agentos_now_ms() AS now FROM work_items WHERE id = $1`,
    [fence.itemId],
  );
  // Without a row, the message says the item does not exist and uses no time.
  return leaseLost(fence, operation, row, row?.now ?? 0);
}
