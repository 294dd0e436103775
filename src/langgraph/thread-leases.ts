import { systemClock } from '../clock.js';
import { LeaseLostError, type LeasedOperation } from '../errors.js';
import { leaseLost, type Fence, type LeasedItemState } from '../core/fence.js';
import { LeaseManager, OWNERSHIP_PREFIXES, ensureOwnershipItem, type Lease, type WorkItem } from '../core/leases.js';
import type { AgentStore } from '../store.js';
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
  /**
   * When a write renews the lease, by this process's clock (the store's may be a server's): once a third of it has
   * passed. Only the pace: whether the lease still holds is the store's to judge, by its clock, at each write.
   */
  renewAt: number;
  /** Set once a write was refused: the thread was taken over, and this saver stays refused until it lets go. */
  lost: boolean;
}

/**
 * One owner per LangGraph thread, on the layer's leases: a saver takes the thread's work item before its first write
 * and every write it makes is fenced by that lease. The lease is renewed by writes (when a third of it has passed)
 * and given back by release(). Callers run one operation per thread at a time (the saver's ThreadQueue).
 */
export class ThreadLeases {
  readonly workerId: string;
  readonly leaseDurationMs: number;
  readonly #leases: LeaseManager;
  readonly #store: AgentStore;
  readonly #held = new Map<string, Held>();

  constructor(db: AgentStore, options: ThreadLeasesOptions) {
    this.workerId = options.workerId;
    this.leaseDurationMs = options.leaseDurationMs;
    this.#leases = new LeaseManager(db, options);
    this.#store = db;
  }

  /**
   * Runs a write fenced by the thread's lease, taken first unless held. A refusal because the lease merely expired,
   * nobody having taken the thread since, takes it again under a new epoch and writes once more; any other refusal
   * stands for this write and every later one. Throws ThreadBusyError if another saver holds the thread.
   */
  async write<T>(threadId: string, operation: LeasedOperation, write: (fence: Fence) => Promise<T>): Promise<T> {
    const lease = await this.#leaseFor(threadId, operation);
    try {
      return await write(lease);
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      const retaken = await this.#retake(threadId, lease);
      if (!retaken) throw error;
      try {
        return await write(retaken);
      } catch (again) {
        if (again instanceof LeaseLostError) this.#lose(threadId, retaken);
        throw again;
      }
    }
  }

  /** Takes the thread's lease now unless this saver holds it already. */
  async claim(threadId: string): Promise<Lease<unknown>> {
    return this.#leaseFor(threadId, 'renew');
  }

  /** Extends a held lease (for a timer while a run is busy between writes); a lost lease stays lost. */
  async renew(threadId: string): Promise<void> {
    const held = this.#held.get(threadId);
    if (held && !held.lost) await this.#renew(threadId, held, 'renew');
  }

  /** Gives the thread back (another saver may take it at once) and forgets it, also after it was lost. */
  async release(threadId: string): Promise<void> {
    const held = this.#held.get(threadId);
    if (!held) return;
    this.#held.delete(threadId);
    if (held.lost) return;
    try {
      await this.#leases.release(held.lease);
    } catch (error) {
      // Expired or taken over in the meantime: there is nothing left to give back.
      if (!(error instanceof LeaseLostError)) throw error;
    }
  }

  /** Threads this saver holds (or held until it was taken over), for release on close. */
  heldThreads(): string[] {
    return [...this.#held.keys()];
  }

  /** The lease to write under: held already (renewed once a third of it has passed), or taken now. */
  async #leaseFor(threadId: string, operation: LeasedOperation): Promise<Lease<unknown>> {
    const held = this.#held.get(threadId);
    if (!held) return this.#acquire(threadId);
    if (held.lost) throw await this.#refusal(held.lease, operation);
    if (systemClock.now() < held.renewAt) return held.lease;
    return this.#renew(threadId, held, operation);
  }

  async #acquire(threadId: string): Promise<Lease<unknown>> {
    const itemId = `${THREAD_LEASE_PREFIX}${threadId}`;
    await ensureOwnershipItem(this.#store, itemId, null);
    const lease = await this.#leases.acquire<unknown>(itemId);
    if (!lease) {
      const item = await this.#leases.get(itemId);
      throw new ThreadBusyError(threadId, item?.leaseHolder ?? null, item?.leaseExpiresAt ?? null);
    }
    this.#held.set(threadId, { lease, renewAt: this.#renewAt(), lost: false });
    return lease;
  }

  /** Renews the lease, or takes the thread again if it merely expired; otherwise it is lost, for `operation`. */
  async #renew(threadId: string, held: Held, operation: LeasedOperation): Promise<Lease<unknown>> {
    try {
      held.lease = await this.#leases.renew(held.lease);
      held.renewAt = this.#renewAt();
      return held.lease;
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      const retaken = await this.#retake(threadId, held.lease);
      if (retaken) return retaken;
      throw await this.#refusal(held.lease, operation);
    }
  }

  /**
   * After a refusal: if the thread is still leased to this saver at the refused epoch (its lease expired and nobody
   * took the thread since, so no other writer came in between), it is taken again under a new epoch. Otherwise the
   * lease is lost for good (undefined).
   */
  async #retake(threadId: string, lease: Lease<unknown>): Promise<Lease<unknown> | undefined> {
    const item = await this.#leases.get(lease.itemId);
    if (item?.status === 'leased' && item.epoch === lease.epoch && item.leaseHolder === this.workerId) {
      this.#held.delete(threadId);
      return this.#acquire(threadId);
    }
    this.#lose(threadId, lease);
    return undefined;
  }

  #lose(threadId: string, lease: Lease<unknown>): void {
    const held = this.#held.get(threadId);
    if (held?.lease.epoch === lease.epoch) held.lost = true;
  }

  /** The LeaseLostError for `operation` under a lost lease, describing the thread's item as it is now. */
  async #refusal(lease: Lease<unknown>, operation: LeasedOperation): Promise<LeaseLostError> {
    const item = await this.#leases.get(lease.itemId);
    return leaseLost(lease, operation, item ? leasedState(item) : undefined, systemClock.now());
  }

  #renewAt(): number {
    return systemClock.now() + this.leaseDurationMs / 3;
  }
}

function leasedState(item: WorkItem): LeasedItemState {
  return {
    epoch: item.epoch,
    status: item.status,
    lease_holder: item.leaseHolder,
    lease_expires_at: item.leaseExpiresAt,
  };
}
