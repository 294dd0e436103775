import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { crashPoint } from '../crash-points.js';
import { LeaseLostError } from '../errors.js';
import { NO_HOLDER, deadHolderEpoch, ownHolderIdentity, type HolderColumns } from '../holder-identity.js';
import { serializeJson, type Json } from '../json-state.js';
import { Metrics } from '../metrics.js';
import type { AgentStore, LeaseRow, LeaseStore, NewWorkItem, WorkItemRow } from '../store.js';
import { InvalidArgumentError, assertId, assertPositiveInt, assertPrefixedId } from '../validate.js';
import { RECOVERY_TASK_PREFIX } from './recovery.js';

/**
 * Work items whose ids start with these are ownership leases — TaskRunner's "task:<id>" and AgentosSaver's
 * "thread:<id>" — taken only by name, never handed out by acquire().
 */
export const OWNERSHIP_PREFIXES = ['task:', 'thread:'] as const;

/** Whether an item is an ownership lease, whose holder's process identity is recorded with each acquisition. */
export function isOwnershipItem(itemId: string): boolean {
  return OWNERSHIP_PREFIXES.some((prefix) => itemId.startsWith(prefix));
}

/** The holder identity an acquisition of `itemId` records: this process's for an ownership item, else none. */
export function holderFor(itemId: string): HolderColumns {
  return isOwnershipItem(itemId) ? ownHolderIdentity() : NO_HOLDER;
}

/** An owner's default worker id: host, pid and a random suffix, so two owners in one process differ. */
export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * How often an owner renews its lease: `given`, or a third of the lease. Renewing no more often than the lease lasts
 * would let it lapse while its owner works, and a second owner could take over. `label` prefixes error messages.
 */
export function renewIntervalFor(leaseDurationMs: number, given: number | undefined, label = ''): number {
  const interval = given ?? Math.max(1, Math.floor(leaseDurationMs / 3));
  assertPositiveInt(`${label}renewIntervalMs`, interval);
  if (interval >= leaseDurationMs) {
    throw new InvalidArgumentError(
      `${label}renewIntervalMs (${interval}) must be less than leaseDurationMs (${leaseDurationMs})`,
    );
  }
  return interval;
}

/** Proof of holding a work item: valid while the stored epoch and holder still match and it has not expired. */
export interface Lease<P = Json> {
  itemId: string;
  taskId: string | null;
  workerId: string;
  /** Fencing token: incremented on every acquisition, so an older holder's epoch is always smaller. */
  epoch: number;
  expiresAt: number;
  payload: P;
}

export interface WorkItemInput {
  id: string;
  taskId?: string;
  payload?: unknown;
}

export interface WorkItem {
  id: string;
  taskId: string | null;
  status: 'pending' | 'leased' | 'completed';
  leaseHolder: string | null;
  leaseExpiresAt: number | null;
  epoch: number;
  attempts: number;
  recoveries: number;
}

export function workItemFromRow(r: WorkItemRow): WorkItem {
  return {
    id: r.id,
    taskId: r.task_id,
    status: r.status,
    leaseHolder: r.lease_holder,
    leaseExpiresAt: r.lease_expires_at,
    epoch: r.epoch,
    attempts: r.attempts,
    recoveries: r.recoveries,
  };
}

export interface LeaseManagerOptions {
  workerId: string;
  /** Lease length in ms (default 300,000: the seed's five minutes). */
  leaseDurationMs?: number;
  metrics?: Metrics;
  /**
   * Take an ownership item at once when its holder is provably dead — a process of this machine's pid space that no
   * longer runs — instead of waiting for its lease to expire (default true). The new epoch fences the old holder out.
   */
  takeOverDeadHolders?: boolean;
}

export function leaseFromRow<P>(row: LeaseRow, workerId: string): Lease<P> {
  return {
    itemId: row.id,
    taskId: row.task_id,
    workerId,
    epoch: row.epoch,
    expiresAt: row.lease_expires_at,
    payload: JSON.parse(row.payload) as P,
  };
}

/** A lease manager's options, validated, with their defaults. */
function leaseManagerSettings(options: LeaseManagerOptions): {
  workerId: string;
  leaseDurationMs: number;
  metrics: Metrics;
  takeOverDeadHolders: boolean;
} {
  assertId('workerId', options.workerId);
  const leaseDurationMs = options.leaseDurationMs ?? 300_000;
  assertPositiveInt('leaseDurationMs', leaseDurationMs);
  return {
    workerId: options.workerId,
    leaseDurationMs,
    metrics: options.metrics ?? new Metrics(),
    takeOverDeadHolders: options.takeOverDeadHolders ?? true,
  };
}

/** Work items to enqueue, validated: id, task id and serialised payload of each, in order. */
function workItemRows(items: readonly WorkItemInput[]): NewWorkItem[] {
  return items.map((item) => {
    // Its longest form: the sweep's record of its lease, "lease-recovery:<work item id>".
    assertPrefixedId('work item id', item.id, RECOVERY_TASK_PREFIX);
    const reserved = OWNERSHIP_PREFIXES.find((prefix) => item.id.startsWith(prefix));
    if (reserved !== undefined)
      throw new InvalidArgumentError(
        `work item id ${JSON.stringify(item.id.slice(0, 40))} starts with "${reserved}", which the layer reserves for its task and thread leases ("task:", "thread:"); choose another id`,
      );
    if (item.taskId !== undefined) assertId('taskId', item.taskId);
    return {
      id: item.id,
      taskId: item.taskId ?? null,
      payloadJson: serializeJson(item.payload ?? null, `payload of work item "${item.id}"`),
    };
  });
}

/**
 * Creates an ownership item (a task's or a LangGraph thread's lease: "task:<id>", "thread:<id>") unless it exists: what
 * TaskRunner and AgentosSaver then take by name. LeaseManager.enqueue refuses these ids, so no user item collides.
 */
export async function ensureOwnershipItem(db: AgentStore, itemId: string, taskId: string | null): Promise<void> {
  if (!isOwnershipItem(itemId)) throw new InvalidArgumentError(`"${itemId}" is not an ownership item id`);
  await db.leaseStore.enqueue([{ id: itemId, taskId, payloadJson: 'null' }]);
}

/** Hands out work items under time-bounded, fenced leases; on either store. */
export class LeaseManager {
  readonly workerId: string;
  readonly leaseDurationMs: number;
  readonly metrics: Metrics;
  readonly #takeOverDeadHolders: boolean;
  readonly #store: LeaseStore;

  constructor(db: AgentStore, options: LeaseManagerOptions) {
    ({
      workerId: this.workerId,
      leaseDurationMs: this.leaseDurationMs,
      metrics: this.metrics,
      takeOverDeadHolders: this.#takeOverDeadHolders,
    } = leaseManagerSettings(options));
    this.#store = db.leaseStore;
  }

  /** Adds work items (ids already present are left as they are). Returns how many were added. */
  async enqueue(items: WorkItemInput[]): Promise<number> {
    return this.#store.enqueue(workItemRows(items));
  }

  /**
   * Takes the oldest pending item under a new lease, or the given item if it is pending, its lease has expired or
   * (an ownership item) its holder is provably dead. Returns null if none is available.
   */
  async acquire<P = Json>(itemId?: string): Promise<Lease<P> | null> {
    if (itemId === undefined) return (await this.acquireBatch<P>(1))[0] ?? null;
    assertId('itemId', itemId);
    const holder = holderFor(itemId);
    let row = await this.#store.acquireItem(itemId, this.workerId, this.leaseDurationMs, holder, null);
    if (!row && this.#takeOverDeadHolders && isOwnershipItem(itemId)) {
      const deadEpoch = deadHolderEpoch(await this.#store.holderOf(itemId));
      // Taken only if the item is still at that epoch: of two acquirers finding the holder dead, one wins.
      if (deadEpoch !== null)
        row = await this.#store.acquireItem(itemId, this.workerId, this.leaseDurationMs, holder, deadEpoch);
    }
    return row ? (this.#leased<P>([row])[0] ?? null) : null;
  }

  /** Takes up to `limit` of the oldest pending items in one transaction, each under its own lease and epoch. */
  async acquireBatch<P = Json>(limit: number): Promise<Lease<P>[]> {
    assertPositiveInt('limit', limit);
    return this.#leased<P>(await this.#store.acquireNext(this.workerId, this.leaseDurationMs, limit));
  }

  /** Extends the lease; throws LeaseLostError if it expired or another worker has taken the item since. */
  async renew<P>(lease: Lease<P>): Promise<Lease<P>> {
    const expiresAt = await this.#fenced(this.#store.renew(lease, this.leaseDurationMs));
    this.metrics.increment('leaseRenewals');
    return { ...lease, expiresAt };
  }

  /** Marks the item done; throws LeaseLostError if the lease is no longer held. */
  async complete(lease: Lease<unknown>, result: unknown = null): Promise<void> {
    const json = serializeJson(result, `result of work item "${lease.itemId}"`);
    await this.#fenced(this.#store.complete(lease, json));
    this.metrics.increment('leaseCompletions');
  }

  /**
   * Completes many of this worker's leases in one transaction, each fenced by its own epoch. Returns the leases that
   * were no longer held (nothing was written for them); the others are completed.
   */
  async completeBatch(leases: readonly Lease<unknown>[], result: unknown = null): Promise<Lease<unknown>[]> {
    if (leases.length === 0) return [];
    const foreign = leases.find((l) => l.workerId !== this.workerId);
    if (foreign)
      throw new InvalidArgumentError(
        `lease of "${foreign.itemId}" is held by "${foreign.workerId}", not "${this.workerId}"`,
      );
    const json = serializeJson(result, 'result of a batch of work items');
    const done = new Set(await this.#store.completeBatch(this.workerId, leases, json));
    const refused = leases.filter((l) => !done.has(l.itemId));
    this.metrics.increment('leaseCompletions', done.size);
    if (refused.length > 0) this.metrics.increment('leaseLost', refused.length);
    return refused;
  }

  /** Gives the item back to the pending queue; throws LeaseLostError if it was no longer held. */
  async release(lease: Lease<unknown>): Promise<void> {
    await this.#fenced(this.#store.release(lease));
  }

  async get(itemId: string): Promise<WorkItem | null> {
    const r = await this.#store.get(itemId);
    return r ? workItemFromRow(r) : null;
  }

  #leased<P>(rows: LeaseRow[]): Lease<P>[] {
    if (rows.length > 0) crashPoint('lease.after-acquire');
    this.metrics.increment('leaseAcquisitions', rows.length);
    return rows.map((row) => leaseFromRow<P>(row, this.workerId));
  }

  /** The store's answer, counting a refusal. */
  async #fenced<T>(write: Promise<T>): Promise<T> {
    try {
      return await write;
    } catch (error) {
      if (error instanceof LeaseLostError) this.metrics.increment('leaseLost');
      throw error;
    }
  }
}
