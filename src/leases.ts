import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Statement } from 'better-sqlite3';
import type { LeaseApi } from './backend.js';
import type { AgentDatabase } from './db.js';
import { crashPoint } from './crash-points.js';
import type { LeasedOperation } from './errors.js';
import {
  NO_HOLDER,
  deadHolderEpoch,
  ownHolderIdentity,
  type HeldItemRow,
  type HolderColumns,
} from './holder-identity.js';
import { serializeJson, type Json } from './json-state.js';
import { Metrics } from './metrics.js';
import { InvalidArgumentError, assertId, assertPositiveInt } from './validate.js';

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

/** A work_items row as either backend returns it. */
export interface WorkItemRow {
  id: string;
  task_id: string | null;
  status: WorkItem['status'];
  lease_holder: string | null;
  lease_expires_at: number | null;
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

/** A row a lease was taken with, as either backend returns it. */
export interface LeaseRow {
  id: string;
  task_id: string | null;
  payload: string;
  epoch: number;
  lease_expires_at: number;
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

/** A lease manager's options, validated, with their defaults: the same for both backends. */
export function leaseManagerSettings(options: LeaseManagerOptions): {
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
export function workItemRows(items: WorkItemInput[]): [id: string, taskId: string | null, payload: string][] {
  return items.map((item) => {
    assertId('work item id', item.id);
    if (item.taskId !== undefined) assertId('taskId', item.taskId);
    return [item.id, item.taskId ?? null, serializeJson(item.payload ?? null, `payload of work item "${item.id}"`)];
  });
}

/** Hands out work items under time-bounded, fenced leases. */
export class LeaseManager implements LeaseApi {
  readonly workerId: string;
  readonly leaseDurationMs: number;
  readonly metrics: Metrics;
  readonly #takeOverDeadHolders: boolean;
  readonly #db: AgentDatabase;
  readonly #enqueue: Statement;
  readonly #acquireNext: Statement;
  readonly #acquireItem: Statement;
  readonly #renew: Statement;
  readonly #complete: Statement;
  readonly #release: Statement;
  readonly #get: Statement;
  readonly #holder: Statement;

  constructor(db: AgentDatabase, options: LeaseManagerOptions) {
    ({
      workerId: this.workerId,
      leaseDurationMs: this.leaseDurationMs,
      metrics: this.metrics,
      takeOverDeadHolders: this.#takeOverDeadHolders,
    } = leaseManagerSettings(options));
    this.#db = db;
    const s = db.sqlite;
    this.#enqueue = s.prepare(`
      INSERT INTO work_items (id, task_id, payload, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (id) DO NOTHING`);
    const take = `
      UPDATE work_items
      SET status = 'leased', lease_holder = @worker, lease_expires_at = @now + @duration,
          epoch = epoch + 1, attempts = attempts + 1, updated_at = @now, holder_host = @holder_host,
          holder_pid_space = @holder_pid_space, holder_pid = @holder_pid, holder_start = @holder_start`;
    // One statement finds and takes the item: the WHERE re-checks status, so two workers can never both win.
    // Never an ownership lease (a task's or a LangGraph thread's): those are locks, not work to hand out.
    this.#acquireNext = s.prepare(`${take}
      WHERE id = (SELECT id FROM work_items WHERE status = 'pending'
                    AND substr(id, 1, 5) != '${OWNERSHIP_PREFIXES[0]}' AND substr(id, 1, 7) != '${OWNERSHIP_PREFIXES[1]}'
                  ORDER BY created_at, id LIMIT 1)
        AND status = 'pending'
      RETURNING id, task_id, payload, epoch, lease_expires_at`);
    // A named item is taken when pending, when its lease has expired, or (deadEpoch) when it is still at the epoch of
    // a holder found dead. The new epoch fences the old holder out.
    this.#acquireItem = s.prepare(`${take}
      WHERE id = @id AND (status = 'pending'
        OR (status = 'leased' AND (lease_expires_at <= @now OR epoch = @deadEpoch)))
      RETURNING id, task_id, payload, epoch, lease_expires_at`);
    const held = `id = @id AND epoch = @epoch AND lease_holder = @worker AND status = 'leased'`;
    this.#renew = s.prepare(`
      UPDATE work_items SET lease_expires_at = @now + @duration, updated_at = @now
      WHERE ${held} AND lease_expires_at > @now RETURNING lease_expires_at`);
    this.#complete = s.prepare(`
      UPDATE work_items SET status = 'completed', lease_holder = NULL, lease_expires_at = NULL,
        last_holder = lease_holder, result = @result, updated_at = @now
      WHERE ${held} AND lease_expires_at > @now`);
    this.#release = s.prepare(`
      UPDATE work_items SET status = 'pending', lease_holder = NULL, lease_expires_at = NULL,
        last_holder = lease_holder, updated_at = @now
      WHERE ${held} AND lease_expires_at > @now`);
    this.#get = s.prepare('SELECT * FROM work_items WHERE id = ?');
    this.#holder = s.prepare(
      'SELECT status, epoch, holder_host, holder_pid_space, holder_pid, holder_start FROM work_items WHERE id = ?',
    );
  }

  /** Adds work items (ids already present are left as they are). Returns how many were added. */
  enqueue(items: WorkItemInput[]): number {
    const rows = workItemRows(items);
    const now = this.#db.clock.now();
    return this.#db.writeTransaction(() => {
      let added = 0;
      for (const [id, taskId, payload] of rows) added += this.#enqueue.run(id, taskId, payload, now, now).changes;
      return added;
    });
  }

  /**
   * Takes the oldest pending item under a new lease, or the given item if it is pending, its lease has expired or
   * (an ownership item) its holder is provably dead. Returns null if none is available.
   */
  acquire<P = Json>(itemId?: string): Lease<P> | null {
    if (itemId !== undefined) assertId('itemId', itemId);
    const params = { worker: this.workerId, now: this.#db.clock.now(), duration: this.leaseDurationMs };
    const row = this.#db.writeTransaction(() => {
      let op: 'acquire' | 'takeover' = 'acquire';
      let taken: LeaseRow | undefined;
      if (itemId === undefined) taken = this.#acquireNext.get({ ...params, ...NO_HOLDER }) as LeaseRow | undefined;
      else {
        const named = { ...params, ...holderFor(itemId), id: itemId };
        taken = this.#acquireItem.get({ ...named, deadEpoch: null }) as LeaseRow | undefined;
        const deadEpoch = taken || !this.#takeOverDeadHolders ? null : deadHolderEpoch(this.#holderOf(itemId));
        if (deadEpoch !== null) {
          taken = this.#acquireItem.get({ ...named, deadEpoch }) as LeaseRow | undefined;
          op = 'takeover';
        }
      }
      if (taken)
        this.#db.fencing.log({ itemId: taken.id, epoch: taken.epoch, workerId: this.workerId }, op, params.now);
      return taken;
    });
    if (!row) return null;
    crashPoint('lease.after-acquire');
    this.metrics.increment('leaseAcquisitions');
    return leaseFromRow<P>(row, this.workerId);
  }

  /** Extends the lease; throws LeaseLostError if it expired or another worker has taken the item since. */
  renew<P>(lease: Lease<P>): Lease<P> {
    const now = this.#db.clock.now();
    const row = this.#db.writeTransaction(() => {
      const renewed = this.#renew.get({ ...this.#fence(lease), now, duration: this.leaseDurationMs }) as
        | { lease_expires_at: number }
        | undefined;
      if (renewed) this.#db.fencing.log(lease, 'renew', now);
      return renewed;
    });
    if (!row) this.#lost(lease, 'renew', now);
    this.metrics.increment('leaseRenewals');
    return { ...lease, expiresAt: row.lease_expires_at };
  }

  /** Marks the item done; throws LeaseLostError if the lease is no longer held. */
  complete(lease: Lease<unknown>, result: unknown = null): void {
    const now = this.#db.clock.now();
    const json = serializeJson(result, `result of work item "${lease.itemId}"`);
    this.completeIn(lease, json, now);
  }

  /**
   * complete() for a caller already inside a write transaction (the task runner ends a task and its lease in one).
   * `resultJson` is serialised JSON.
   */
  completeIn(lease: Lease<unknown>, resultJson: string, now: number): void {
    const changes = this.#db.writeTransaction(() => {
      const n = this.#complete.run({ ...this.#fence(lease), now, result: resultJson }).changes;
      if (n > 0) this.#db.fencing.log(lease, 'complete', now);
      return n;
    });
    if (changes === 0) this.#lost(lease, 'complete', now);
    this.metrics.increment('leaseCompletions');
  }

  /** Gives the item back to the pending queue; throws LeaseLostError if it was no longer held. */
  release(lease: Lease<unknown>): void {
    const now = this.#db.clock.now();
    const changes = this.#db.writeTransaction(() => {
      const n = this.#release.run({ ...this.#fence(lease), now }).changes;
      if (n > 0) this.#db.fencing.log(lease, 'release', now);
      return n;
    });
    if (changes === 0) this.#lost(lease, 'release', now);
  }

  get(itemId: string): WorkItem | null {
    const r = this.#get.get(itemId) as WorkItemRow | undefined;
    return r ? workItemFromRow(r) : null;
  }

  #holderOf(itemId: string): HeldItemRow | undefined {
    return this.#holder.get(itemId) as HeldItemRow | undefined;
  }

  #fence(lease: Lease<unknown>): { id: string; epoch: number; worker: string } {
    return { id: lease.itemId, epoch: lease.epoch, worker: lease.workerId };
  }

  #lost(lease: Lease<unknown>, operation: LeasedOperation, now: number): never {
    this.metrics.increment('leaseLost');
    throw this.#db.fencing.lost(lease, operation, now);
  }
}
