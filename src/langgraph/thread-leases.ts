import { hostname } from 'node:os';
import type { Statement } from 'better-sqlite3';
import type { AgentDatabase } from '../db.js';
import { LeaseLostError, type LeasedOperation } from '../errors.js';
import { LeaseManager, OWNERSHIP_PREFIXES, type Lease } from '../leases.js';
import { isSameProcess, ownProcessStartTime } from '../process-identity.js';
import { ThreadBusyError } from './errors.js';

/** Prefix of the work items that carry thread leases ("thread:<thread id>"). */
export const THREAD_LEASE_PREFIX = OWNERSHIP_PREFIXES[1];

export interface ThreadLeasesOptions {
  workerId: string;
  leaseDurationMs: number;
  /** Take over at once a thread whose holder was a process on this host that no longer runs. */
  takeOverDeadHolders: boolean;
}

interface Held {
  lease: Lease<unknown>;
  /** Set once a write was refused: the thread was taken over, and this saver stays refused until it lets go. */
  lost: boolean;
}

interface OwnerRow {
  holder: string;
  epoch: number;
  host: string;
  pid: number;
  pid_start: string | null;
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
  readonly #leases: LeaseManager;
  readonly #takeOverDeadHolders: boolean;
  readonly #held = new Map<string, Held>();
  readonly #owner: Statement;
  readonly #recordOwner: Statement;
  readonly #expire: Statement;

  constructor(db: AgentDatabase, options: ThreadLeasesOptions) {
    this.workerId = options.workerId;
    this.leaseDurationMs = options.leaseDurationMs;
    this.#db = db;
    this.#takeOverDeadHolders = options.takeOverDeadHolders;
    this.#leases = new LeaseManager(db, { workerId: options.workerId, leaseDurationMs: options.leaseDurationMs });
    const s = db.sqlite;
    this.#owner = s.prepare(
      'SELECT holder, epoch, host, pid, pid_start FROM langgraph_thread_owners WHERE item_id = ?',
    );
    this.#recordOwner = s.prepare(`
      INSERT OR REPLACE INTO langgraph_thread_owners (item_id, holder, epoch, host, pid, pid_start)
      VALUES (@itemId, @holder, @epoch, @host, @pid, @pidStart)`);
    // Ends a dead holder's lease now, so acquire() takes the item with a new epoch (fencing the holder out).
    this.#expire = s.prepare(`
      UPDATE work_items SET lease_expires_at = @now
      WHERE id = @itemId AND status = 'leased' AND epoch = @epoch AND lease_holder = @holder`);
  }

  /**
   * The lease to write to the thread under: held already (renewed once a third of it has passed), or taken now.
   * Each acquisition or renewal is its own transaction, so a write rolled back later never leaves this object
   * believing in a lease the database does not have. Throws ThreadBusyError if another saver holds the thread, and
   * LeaseLostError if this saver's lease was taken over.
   */
  leaseFor(threadId: string, operation: LeasedOperation, now: number): Lease<unknown> {
    const held = this.#held.get(threadId);
    if (!held) return this.#acquire(threadId, now).lease;
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
      this.#leases.release(held.lease);
    } catch (error) {
      // Expired or taken over in the meantime: there is nothing left to give back.
      if (!(error instanceof LeaseLostError)) throw error;
    }
  }

  /** Threads this saver holds (or held until it was taken over), for release on close. */
  heldThreads(): string[] {
    return [...this.#held.keys()];
  }

  #acquire(threadId: string, now: number): Held {
    const itemId = `${THREAD_LEASE_PREFIX}${threadId}`;
    const lease = this.#db.writeTransaction(() => {
      this.#leases.enqueue([{ id: itemId }]);
      const taken =
        this.#leases.acquire(itemId) ?? (this.#endDeadHolder(itemId, now) ? this.#leases.acquire(itemId) : null);
      if (!taken) {
        const item = this.#leases.get(itemId);
        throw new ThreadBusyError(threadId, item?.leaseHolder ?? null, item?.leaseExpiresAt ?? null);
      }
      this.#recordOwner.run({
        itemId,
        holder: this.workerId,
        epoch: taken.epoch,
        host: hostname(),
        pid: process.pid,
        pidStart: ownProcessStartTime(),
      });
      return taken;
    });
    const held = { lease, lost: false };
    this.#held.set(threadId, held);
    return held;
  }

  /** Whether the item's holder was a process on this host that has ended; if so its lease is ended now. */
  #endDeadHolder(itemId: string, now: number): boolean {
    if (!this.#takeOverDeadHolders) return false;
    const item = this.#leases.get(itemId);
    const owner = this.#owner.get(itemId) as OwnerRow | undefined;
    if (item?.status !== 'leased' || !owner) return false;
    if (owner.holder !== item.leaseHolder || owner.epoch !== item.epoch || owner.host !== hostname()) return false;
    if (isSameProcess(owner.pid, owner.pid_start)) return false;
    return this.#expire.run({ itemId, now, epoch: item.epoch, holder: owner.holder }).changes === 1;
  }

  /**
   * Renews the lease. If it had expired but nobody took the thread since (the same epoch, still this holder), the
   * thread is taken again under a new epoch: no other writer came in between. Otherwise the lease is lost for good.
   */
  #renew(threadId: string, held: Held, operation: LeasedOperation, now: number): Lease<unknown> {
    try {
      held.lease = this.#leases.renew(held.lease);
      return held.lease;
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      const item = this.#leases.get(held.lease.itemId);
      if (item?.status === 'leased' && item.epoch === held.lease.epoch && item.leaseHolder === this.workerId) {
        this.#held.delete(threadId);
        return this.#acquire(threadId, now).lease;
      }
      held.lost = true;
      throw this.#db.fencing.lost(held.lease, operation, now);
    }
  }
}
