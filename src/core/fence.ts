import { LeaseLostError, type LeasedOperation } from '../errors.js';

/** What a write made under a lease carries: the item, the lease's epoch (the fencing token) and its holder. */
export interface Fence {
  readonly itemId: string;
  readonly epoch: number;
  readonly workerId: string;
}

/** A work item's lease columns, as both backends read them to explain a refusal. */
export interface LeasedItemState {
  epoch: number;
  status: string;
  lease_holder: string | null;
  lease_expires_at: number | null;
}

/** The LeaseLostError for a refused operation, given the item as it is now (undefined: it does not exist). */
export function leaseLost(
  fence: Fence,
  operation: LeasedOperation,
  row: LeasedItemState | undefined,
  now: number,
): LeaseLostError {
  const holder = row?.status === 'leased' ? row.lease_holder : null;
  let current: string;
  if (!row) current = 'the item does not exist';
  else if (row.epoch !== fence.epoch)
    current = `the item is now at epoch ${row.epoch} (${row.status}${holder ? ` by "${holder}"` : ''})`;
  else if (row.status !== 'leased') current = `the item is ${row.status}`;
  else if (row.lease_holder !== fence.workerId) current = `the item is held by "${row.lease_holder}"`;
  else current = `the lease expired at ${row.lease_expires_at} (now ${now})`;
  return new LeaseLostError(fence.itemId, fence.epoch, fence.workerId, operation, current, row?.epoch ?? null, holder);
}
