import type { LeaseApi } from '../backend.js';
import { crashPoint } from '../crash-points.js';
import type { LeasedOperation } from '../errors.js';
import { deadHolderEpoch, type HeldItemRow } from '../holder-identity.js';
import { serializeJson, type Json } from '../json-state.js';
import {
  OWNERSHIP_PREFIXES,
  holderFor,
  leaseFromRow,
  leaseManagerSettings,
  workItemFromRow,
  workItemRows,
  type LeaseRow,
  type Lease,
  type LeaseManagerOptions,
  type WorkItem,
  type WorkItemInput,
  type WorkItemRow,
} from '../leases.js';
import { Metrics } from '../metrics.js';
import { InvalidArgumentError, assertId, assertPositiveInt } from '../validate.js';
import type { PgDatabase } from './db.js';
import { leaseHeld, refusal } from './fence.js';

/** The update taking an item; `holder` are the values of holder_host, holder_pid_space, holder_pid, holder_start. */
const take = (holder: string): string => `UPDATE work_items w SET status = 'leased', lease_holder = $1,
    lease_expires_at = agentos_now_ms() + $2, epoch = w.epoch + 1, attempts = w.attempts + 1,
    updated_at = agentos_now_ms(), (holder_host, holder_pid_space, holder_pid, holder_start) = (${holder})`;
const TAKEN = 'RETURNING w.id, w.task_id, w.payload, w.epoch, w.lease_expires_at';
const logTaken = (op: string): string => `log AS (INSERT INTO lease_log (item_id, epoch, holder, op, at)
    SELECT id, epoch, $1, ${op}, agentos_now_ms() FROM taken)`;

// The oldest pending items, skipping rows another worker is taking right now, so acquirers never queue on each other.
// Never an ownership lease (a task's or a LangGraph thread's): those are locks, taken only by name.
const ACQUIRE_NEXT = `WITH next AS (
    SELECT id FROM work_items WHERE status = 'pending'
      AND left(id, 5) <> '${OWNERSHIP_PREFIXES[0]}' AND left(id, 7) <> '${OWNERSHIP_PREFIXES[1]}'
    ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED),
  taken AS (${take('NULL, NULL, NULL::integer, NULL')} FROM next WHERE w.id = next.id ${TAKEN}),
  ${logTaken("'acquire'")}
  SELECT * FROM taken ORDER BY id`;
// A named item is taken when pending, when its lease has expired by the server's clock, or ($4) when it is still at
// the epoch of a holder found dead; that is logged as a takeover. The new epoch fences the old holder out.
const ACQUIRE_ITEM = `WITH taken AS (${take('$5, $6, $7::integer, $8')}
    WHERE w.id = $3 AND (w.status = 'pending'
      OR (w.status = 'leased' AND (w.lease_expires_at <= agentos_now_ms() OR w.epoch = $4::bigint)))
    ${TAKEN}),
  ${logTaken("CASE WHEN $4::bigint IS NULL THEN 'acquire' ELSE 'takeover' END")}
  SELECT * FROM taken`;
const HOLDER = `SELECT status, epoch, holder_host, holder_pid_space, holder_pid, holder_start
  FROM work_items WHERE id = $1`;

/** A write under a lease: the fencing condition and the log entry, in the same statement as the write. */
function fenced(operation: LeasedOperation, set: string, returning = 'lease_expires_at'): string {
  return `WITH done AS (UPDATE work_items SET ${set}, updated_at = agentos_now_ms()
      WHERE ${leaseHeld()}
      RETURNING ${returning}),
    log AS (INSERT INTO lease_log (item_id, epoch, holder, op, at)
      SELECT $1, $2, $3, '${operation}', agentos_now_ms() FROM done)
    SELECT * FROM done`;
}
const RENEW = fenced('renew', 'lease_expires_at = agentos_now_ms() + $4');
const COMPLETE = fenced(
  'complete',
  `status = 'completed', lease_holder = NULL, lease_expires_at = NULL, last_holder = lease_holder, result = $4`,
  'id',
);
const RELEASE = fenced(
  'release',
  `status = 'pending', lease_holder = NULL, lease_expires_at = NULL, last_holder = lease_holder`,
  'id',
);

// Many completions in one statement, each fenced by its own epoch; the refused ones are simply not returned.
const COMPLETE_BATCH = `WITH input AS (
    SELECT * FROM unnest($1::text[], $2::bigint[]) AS i (id, epoch)),
  done AS (UPDATE work_items w SET status = 'completed', lease_holder = NULL, lease_expires_at = NULL,
      last_holder = w.lease_holder, result = $4, updated_at = agentos_now_ms()
    FROM input i WHERE w.id = i.id AND w.epoch = i.epoch AND w.lease_holder = $3 AND w.status = 'leased'
      AND w.lease_expires_at > agentos_now_ms()
    RETURNING w.id, w.epoch),
  log AS (INSERT INTO lease_log (item_id, epoch, holder, op, at)
    SELECT id, epoch, $3, 'complete', agentos_now_ms() FROM done)
  SELECT id FROM done`;

/** LeaseManager on PostgreSQL: the same leases, async; expiry is decided by the server's clock, never a client's. */
export class PgLeaseManager implements LeaseApi {
  readonly workerId: string;
  readonly leaseDurationMs: number;
  readonly metrics: Metrics;
  readonly #takeOverDeadHolders: boolean;
  readonly #db: PgDatabase;

  constructor(db: PgDatabase, options: LeaseManagerOptions) {
    ({
      workerId: this.workerId,
      leaseDurationMs: this.leaseDurationMs,
      metrics: this.metrics,
      takeOverDeadHolders: this.#takeOverDeadHolders,
    } = leaseManagerSettings(options));
    this.#db = db;
  }

  /** Adds work items (ids already present are left as they are). Returns how many were added. */
  async enqueue(items: WorkItemInput[]): Promise<number> {
    const validated = workItemRows(items);
    const [ids, tasks, payloads] = [0, 1, 2].map((column) => validated.map((row) => row[column]));
    const rows = await this.#db.query<{ n: number }>(
      `WITH added AS (
         INSERT INTO work_items (id, task_id, payload, created_at, updated_at)
         SELECT i.id, i.task_id, i.payload, agentos_now_ms(), agentos_now_ms()
         FROM unnest($1::text[], $2::text[], $3::text[]) AS i (id, task_id, payload)
         ON CONFLICT (id) DO NOTHING RETURNING 1)
       SELECT COUNT(*)::int AS n FROM added`,
      [ids, tasks, payloads],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Takes the oldest pending item under a new lease, or the given item if it is pending, its lease has expired or
   * (an ownership item) its holder is provably dead. Returns null if none is available.
   */
  async acquire<P = Json>(itemId?: string): Promise<Lease<P> | null> {
    if (itemId !== undefined) {
      assertId('itemId', itemId);
      let rows = await this.#acquireItem(itemId, null);
      if (rows.length === 0 && this.#takeOverDeadHolders) {
        const [item] = await this.#db.query<HeldItemRow>(HOLDER, [itemId], 'agentos.lease.holder');
        const deadEpoch = deadHolderEpoch(item);
        // Taken only if the item is still at that epoch: of two acquirers finding the holder dead, one wins.
        if (deadEpoch !== null) rows = await this.#acquireItem(itemId, deadEpoch);
      }
      return rows[0] ? (this.#leased<P>(rows)[0] ?? null) : null;
    }
    const [lease] = await this.acquireBatch<P>(1);
    return lease ?? null;
  }

  /** Takes up to `limit` of the oldest pending items in one statement, each under its own lease and epoch. */
  async acquireBatch<P = Json>(limit: number): Promise<Lease<P>[]> {
    assertPositiveInt('limit', limit);
    const rows = await this.#db.query<LeaseRow>(
      ACQUIRE_NEXT,
      [this.workerId, this.leaseDurationMs, limit],
      'agentos.lease.acquire-next',
    );
    return this.#leased<P>(rows);
  }

  /** Extends the lease; throws LeaseLostError if it expired or another worker has taken the item since. */
  async renew<P>(lease: Lease<P>): Promise<Lease<P>> {
    const [row] = await this.#db.query<{ lease_expires_at: number }>(
      RENEW,
      [...fenceOf(lease), this.leaseDurationMs],
      'agentos.lease.renew',
    );
    if (!row) throw await this.#lost(lease, 'renew');
    this.metrics.increment('leaseRenewals');
    return { ...lease, expiresAt: row.lease_expires_at };
  }

  /** Marks the item done; throws LeaseLostError if the lease is no longer held. */
  async complete(lease: Lease<unknown>, result: unknown = null): Promise<void> {
    const json = serializeJson(result, `result of work item "${lease.itemId}"`);
    const rows = await this.#db.query(COMPLETE, [...fenceOf(lease), json], 'agentos.lease.complete');
    if (rows.length === 0) throw await this.#lost(lease, 'complete');
    this.metrics.increment('leaseCompletions');
  }

  /**
   * Completes many of this worker's leases in one statement (one round trip, one commit), each fenced by its own
   * epoch. Returns the leases that were no longer held (nothing was written for them); the others are completed.
   */
  async completeBatch(leases: readonly Lease<unknown>[], result: unknown = null): Promise<Lease<unknown>[]> {
    if (leases.length === 0) return [];
    const foreign = leases.find((l) => l.workerId !== this.workerId);
    if (foreign)
      throw new InvalidArgumentError(
        `lease of "${foreign.itemId}" is held by "${foreign.workerId}", not "${this.workerId}"`,
      );
    const json = serializeJson(result, 'result of a batch of work items');
    const rows = await this.#db.query<{ id: string }>(
      COMPLETE_BATCH,
      [leases.map((l) => l.itemId), leases.map((l) => l.epoch), this.workerId, json],
      'agentos.lease.complete-batch',
    );
    const done = new Set(rows.map((r) => r.id));
    const refused = leases.filter((l) => !done.has(l.itemId));
    this.metrics.increment('leaseCompletions', rows.length);
    if (refused.length > 0) this.metrics.increment('leaseLost', refused.length);
    return refused;
  }

  /** Gives the item back to the pending queue; throws LeaseLostError if it was no longer held. */
  async release(lease: Lease<unknown>): Promise<void> {
    const rows = await this.#db.query(RELEASE, fenceOf(lease), 'agentos.lease.release');
    if (rows.length === 0) throw await this.#lost(lease, 'release');
  }

  async get(itemId: string): Promise<WorkItem | null> {
    const [r] = await this.#db.query<WorkItemRow>('SELECT * FROM work_items WHERE id = $1', [itemId]);
    return r ? workItemFromRow(r) : null;
  }

  #acquireItem(itemId: string, deadEpoch: number | null): Promise<LeaseRow[]> {
    const h = holderFor(itemId);
    return this.#db.query<LeaseRow>(
      ACQUIRE_ITEM,
      [
        this.workerId,
        this.leaseDurationMs,
        itemId,
        deadEpoch,
        h.holder_host,
        h.holder_pid_space,
        h.holder_pid,
        h.holder_start,
      ],
      'agentos.lease.acquire-item',
    );
  }

  #leased<P>(rows: LeaseRow[]): Lease<P>[] {
    if (rows.length > 0) crashPoint('lease.after-acquire');
    this.metrics.increment('leaseAcquisitions', rows.length);
    return rows.map((row) => leaseFromRow<P>(row, this.workerId));
  }

  async #lost(lease: Lease<unknown>, operation: LeasedOperation): Promise<Error> {
    this.metrics.increment('leaseLost');
    return refusal(this.#db, lease, operation);
  }
}

function fenceOf(lease: Lease<unknown>): [string, number, string] {
  return [lease.itemId, lease.epoch, lease.workerId];
}
