import type { AgentDatabase } from '../db.js';
import { LeaseLostError, type LeasedOperation } from '../errors.js';
import { OWNERSHIP_PREFIXES, holderFor, leaseFromRow, workItemFromRow, type Lease } from '../core/leases.js';
import { deadHolderEpoch } from '../holder-identity.js';
import type { SqliteLeaseStore } from '../sqlite/lease-store.js';
import { ThreadBusyError } from './errors.js';

/** Prefix of the work items that carry thread leases ("thread:<thread id>"). */
export const THREAD_LEASE_PREFIX = OWNERSHIP_PREFIXES[1];

export interface ThreadLeasesOptions {
  workerId: string;
  leaseDurationMs: number;
  /** Take over at once a thread whose holder was a process of this machine's pid space that no longer runs. */
  takeOverDeadHolders: boolean;
}

interface Held {
  lease: Lease<unknown>;
  /** Set once a write was refused: the thread was taken over, and this saver stays refused until it lets go. */
  lost: boolean;
}

/**
 * One owner per LangGraph thread, on the layer's leases: a saver takes the thread's work item before its first write
 * and every write it makes is fenced by that lease. The lease is renewed by writes (when a third of it has passed)
 * and given back by release().
 */
export class ThreadLeases {
  readonly workerId: string;
  readonly leaseDurationMs: number;
  readonly #db: AgentDatabase;
  readonly #leases: SqliteLeaseStore;
  readonly #takeOverDeadHolders: boolean;
  readonly #held = new Map<string, Held>();

  constructor(db: AgentDatabase, options: ThreadLeasesOptions) {
    this.workerId = options.workerId;
    this.leaseDurationMs = options.leaseDurationMs;
    this.#db = db;
    // Synchronous, inside the saver's write transactions: the SQLite lease store's own operations.
    this.#leases = db.leaseStore;
    this.#takeOverDeadHolders = options.takeOverDeadHolders;
  }

  /**
   * The lease to write to the thread under: held already (renewed once a third of it has passed), or taken now.
   * Each acquisition or renewal is its own transaction, so a write rolled back later never leaves this object
   * believing in a lease the database does not have. Throws ThreadBusyError if another saver holds the thread, and
   * LeaseLostError if this saver's lease was taken over.
   */
  leaseFor(threadId: string, operation: LeasedOperation, now: number): Lease<unknown> {
    const held = this.#held.get(threadId);
    if (!held) return this.#acquire(threadId).lease;
    if (held.lost) throw this.#db.fencing.lost(held.lease, operation, now);
    if (now < held.lease.expiresAt - (2 * this.leaseDurationMs) / 3) return held.lease;
    return this.#renew(threadId, held, operation, now);
  }

  /** Inside the write's transaction: refuses it (LeaseLostError, and every later write) unless the lease still holds. */
  check(threadId: string, lease: Lease<unknown>, operation: LeasedOperation, now: number): void {
    try {
      this.#db.fencing.check(lease, operation, now);
    } catch (error) {
      const held = this.#held.get(threadId);
      if (error instanceof LeaseLostError && held?.lease.epoch === lease.epoch) held.lost = true;
      throw error;
    }
  }

  /** Takes the thread's lease now unless this saver holds it already. */
  claim(threadId: string): Lease<unknown> {
    return this.leaseFor(threadId, 'renew', this.#db.clock.now());
  }

  /** Extends a held lease (for a timer while a run is busy between writes); a lost lease stays lost. */
  renew(threadId: string): void {
    const held = this.#held.get(threadId);
    if (held && !held.lost) this.#renew(threadId, held, 'renew', this.#db.clock.now());
  }

  /** Gives the thread back (another saver may take it at once) and forgets it, also after it was lost. */
  release(threadId: string): void {
    const held = this.#held.get(threadId);
    if (!held) return;
    this.#held.delete(threadId);
    if (held.lost) return;
    try {
      this.#leases.releaseSync(held.lease);
    } catch (error) {
      // Expired or taken over in the meantime: there is nothing left to give back.
      if (!(error instanceof LeaseLostError)) throw error;
    }
  }

  /** Threads this saver holds (or held until it was taken over), for release on close. */
  heldThreads(): string[] {
    return [...this.#held.keys()];
  }

  #acquire(threadId: string): Held {
    const itemId = `${THREAD_LEASE_PREFIX}${threadId}`;
    const lease = this.#db.writeTransaction(() => {
      this.#leases.enqueueSync([{ id: itemId, taskId: null, payloadJson: 'null' }]);
      const taken = this.#take(itemId);
      if (!taken) {
        const item = this.#leases.getSync(itemId);
        throw new ThreadBusyError(threadId, item?.lease_holder ?? null, item?.lease_expires_at ?? null);
      }
      return taken;
    });
    const held = { lease, lost: false };
    this.#held.set(threadId, held);
    return held;
  }

  /**
   * Renews the lease. If it had expired but nobody took the thread since (the same epoch, still this holder), the
   * thread is taken again under a new epoch: no other writer came in between. Otherwise the lease is lost for good.
   */
  #renew(threadId: string, held: Held, operation: LeasedOperation, now: number): Lease<unknown> {
    try {
      held.lease = { ...held.lease, expiresAt: this.#leases.renewSync(held.lease, this.leaseDurationMs) };
      return held.lease;
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      const row = this.#leases.getSync(held.lease.itemId);
      const item = row ? workItemFromRow(row) : undefined;
      if (item?.status === 'leased' && item.epoch === held.lease.epoch && item.leaseHolder === this.workerId) {
        this.#held.delete(threadId);
        return this.#acquire(threadId).lease;
      }
      held.lost = true;
      throw this.#db.fencing.lost(held.lease, operation, now);
    }
  }

  /** LeaseManager.acquire(itemId), synchronously: pending, expired, or its holder provably dead. */
  #take(itemId: string): Lease<unknown> | undefined {
    const holder = holderFor(itemId);
    const { workerId, leaseDurationMs } = this;
    let row = this.#leases.acquireItemSync(itemId, workerId, leaseDurationMs, holder, null);
    if (!row && this.#takeOverDeadHolders) {
      const deadEpoch = deadHolderEpoch(this.#leases.holderOfSync(itemId));
      if (deadEpoch !== null) row = this.#leases.acquireItemSync(itemId, workerId, leaseDurationMs, holder, deadEpoch);
    }
    return row ? leaseFromRow(row, workerId) : undefined;
  }
}
