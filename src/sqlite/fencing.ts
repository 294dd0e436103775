import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { Clock } from '../clock.js';
import type { LeaseLostError, LeasedOperation } from '../errors.js';
import { leaseLost, type Fence, type LeasedItemState } from '../core/fence.js';
import { mutant } from '../mutants.js';

/**
 * The fencing rule, checked inside the caller's write transaction: a write under a lease is accepted only while the
 * item is still leased to the same holder at the same epoch and the lease has not expired by the database's clock
 * (PostgreSQL's leaseHeld() in pg/fence.ts, on SQLite). Each accepted write and each acquisition is appended to
 * lease_log in the same transaction, so a checker can replay them in commit order.
 */
export class Fencing {
  readonly #clock: Clock;
  readonly #item: Statement;
  readonly #log: Statement;

  constructor(sqlite: Database.Database, clock: Clock) {
    this.#clock = clock;
    this.#item = sqlite.prepare('SELECT epoch, status, lease_holder, lease_expires_at FROM work_items WHERE id = ?');
    this.#log = sqlite.prepare('INSERT INTO lease_log (item_id, epoch, holder, op, at) VALUES (?, ?, ?, ?, ?)');
  }

  /**
   * Throws LeaseLostError (nothing written) unless the fence still holds its item; then logs the write at `now`. The
   * expiry is checked against the clock read here, under the write lock: a writer that waited for the lock with its
   * lease running out is judged by the time it writes, as the server's clock judges it on PostgreSQL.
   */
  check(fence: Fence, operation: LeasedOperation, now: number): void {
    const row = this.#item.get(fence.itemId) as LeasedItemState | undefined;
    const at = Math.max(now, this.#clock.now());
    if (mutant !== 'no-fencing' && !held(row, fence, at)) throw leaseLost(fence, operation, row, at);
    this.log(fence, operation, now);
  }

  /**
   * Appends an accepted operation: an acquisition ('takeover': of an item whose holder was provably dead), or a write
   * checked by the caller's own statement.
   */
  log(fence: Fence, operation: LeasedOperation | 'acquire' | 'takeover', now: number): void {
    this.#log.run(fence.itemId, fence.epoch, fence.workerId, operation, now);
  }

  /** The LeaseLostError for a refused operation, describing the item as it is now. */
  lost(fence: Fence, operation: LeasedOperation, now: number): LeaseLostError {
    const row = this.#item.get(fence.itemId) as LeasedItemState | undefined;
    return leaseLost(fence, operation, row, now);
  }
}

/** Whether the item is leased to the fence's holder at its epoch and the lease runs past `now`. */
function held(row: LeasedItemState | undefined, fence: Fence, now: number): boolean {
  return (
    row !== undefined &&
    row.epoch === fence.epoch &&
    row.status === 'leased' &&
    row.lease_holder === fence.workerId &&
    row.lease_expires_at !== null &&
    row.lease_expires_at > now
  );
}
