import type { Fence } from '../core/fence.js';
import { OWNERSHIP_PREFIXES } from '../core/leases.js';
import type { LeasedOperation } from '../errors.js';
import type { HeldItemRow, HolderColumns } from '../holder-identity.js';
import type { LeaseRow, LeaseStore, NewWorkItem, WorkItemRow } from '../store.js';
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
const acquireNext = (limit: string): string => `WITH next AS (
    SELECT id FROM work_items WHERE status = 'pending'
      AND left(id, 5) <> '${OWNERSHIP_PREFIXES[0]}' AND left(id, 7) <> '${OWNERSHIP_PREFIXES[1]}'
    ORDER BY created_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED),
  taken AS (${take('NULL, NULL, NULL::integer, NULL')} FROM next WHERE w.id = next.id ${TAKEN}),
  ${logTaken("'acquire'")}
  SELECT * FROM taken ORDER BY id`;
const ACQUIRE_NEXT = acquireNext('$3');
// One item, its LIMIT written out: with LIMIT $3 the server's generic plan looks dearer than a custom one for a single
// row of a deep queue, so it planned the statement anew at every acquisition (0.3 ms or more, more than it executes).
const ACQUIRE_ONE = acquireNext('1');
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

const ENQUEUE = `WITH added AS (
    INSERT INTO work_items (id, task_id, payload, created_at, updated_at)
    SELECT i.id, i.task_id, i.payload, agentos_now_ms(), agentos_now_ms()
    FROM unnest($1::text[], $2::text[], $3::text[]) AS i (id, task_id, payload)
    ON CONFLICT (id) DO NOTHING RETURNING 1)
  SELECT COUNT(*)::int AS n FROM added`;

/** The work_items table on PostgreSQL: each operation one statement, fenced and logged by the server's clock. */
export class PgLeaseStore implements LeaseStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async enqueue(items: readonly NewWorkItem[]): Promise<number> {
    const rows = await this.#db.query<{ n: number }>(ENQUEUE, [
      items.map((i) => i.id),
      items.map((i) => i.taskId),
      items.map((i) => i.payloadJson),
    ]);
    return rows[0]?.n ?? 0;
  }

  async acquireNext(workerId: string, durationMs: number, limit: number): Promise<LeaseRow[]> {
    if (limit === 1) return this.#db.query<LeaseRow>(ACQUIRE_ONE, [workerId, durationMs], 'agentos.lease.acquire-one');
    return this.#db.query<LeaseRow>(ACQUIRE_NEXT, [workerId, durationMs, limit], 'agentos.lease.acquire-next');
  }

  async acquireItem(
    itemId: string,
    workerId: string,
    durationMs: number,
    holder: HolderColumns,
    deadEpoch: number | null,
  ): Promise<LeaseRow | undefined> {
    const [row] = await this.#db.query<LeaseRow>(
      ACQUIRE_ITEM,
      [
        workerId,
        durationMs,
        itemId,
        deadEpoch,
        holder.holder_host,
        holder.holder_pid_space,
        holder.holder_pid,
        holder.holder_start,
      ],
      'agentos.lease.acquire-item',
    );
    return row;
  }

  async holderOf(itemId: string): Promise<HeldItemRow | undefined> {
    const [row] = await this.#db.query<HeldItemRow>(HOLDER, [itemId], 'agentos.lease.holder');
    return row;
  }

  async renew(fence: Fence, durationMs: number): Promise<number> {
    const [row] = await this.#db.query<{ lease_expires_at: number }>(
      RENEW,
      [...fenceOf(fence), durationMs],
      'agentos.lease.renew',
    );
    if (!row) throw await refusal(this.#db, fence, 'renew');
    return row.lease_expires_at;
  }

  async complete(fence: Fence, resultJson: string): Promise<void> {
    const rows = await this.#db.query(COMPLETE, [...fenceOf(fence), resultJson], 'agentos.lease.complete');
    if (rows.length === 0) throw await refusal(this.#db, fence, 'complete');
  }

  async completeBatch(
    workerId: string,
    items: readonly { itemId: string; epoch: number }[],
    resultJson: string,
  ): Promise<string[]> {
    const rows = await this.#db.query<{ id: string }>(
      COMPLETE_BATCH,
      [items.map((l) => l.itemId), items.map((l) => l.epoch), workerId, resultJson],
      'agentos.lease.complete-batch',
    );
    return rows.map((r) => r.id);
  }

  async release(fence: Fence): Promise<void> {
    const rows = await this.#db.query(RELEASE, fenceOf(fence), 'agentos.lease.release');
    if (rows.length === 0) throw await refusal(this.#db, fence, 'release');
  }

  async get(itemId: string): Promise<WorkItemRow | undefined> {
    const [row] = await this.#db.query<WorkItemRow>('SELECT * FROM work_items WHERE id = $1', [itemId]);
    return row;
  }
}

function fenceOf(fence: Fence): [string, number, string] {
  return [fence.itemId, fence.epoch, fence.workerId];
}
