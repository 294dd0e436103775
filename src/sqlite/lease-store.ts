import type { Statement } from 'better-sqlite3';
import type { Fence } from '../core/fence.js';
import { OWNERSHIP_PREFIXES } from '../core/leases.js';
import type { AgentDatabase } from './db.js';
import { NO_HOLDER, type HeldItemRow, type HolderColumns } from '../holder-identity.js';
import type { LeaseRow, LeaseStore, NewWorkItem, WorkItemRow } from '../store.js';

const TAKE = `UPDATE work_items
  SET status = 'leased', lease_holder = @worker, lease_expires_at = @now + @duration,
      epoch = epoch + 1, attempts = attempts + 1, updated_at = @now, holder_host = @holder_host,
      holder_pid_space = @holder_pid_space, holder_pid = @holder_pid, holder_start = @holder_start`;
const TAKEN = 'RETURNING id, task_id, payload, epoch, lease_expires_at';
const HELD = `id = @id AND epoch = @epoch AND lease_holder = @worker AND status = 'leased' AND lease_expires_at > @now`;

/** The work_items table on SQLite: each operation one write transaction, fenced and logged in it. */
export class SqliteLeaseStore implements LeaseStore {
  readonly #db: AgentDatabase;
  readonly #enqueue: Statement;
  readonly #acquireNext: Statement;
  readonly #acquireItem: Statement;
  readonly #renew: Statement;
  readonly #complete: Statement;
  readonly #release: Statement;
  readonly #get: Statement;
  readonly #holder: Statement;

  constructor(db: AgentDatabase) {
    this.#db = db;
    const s = db.sqlite;
    this.#enqueue = s.prepare(`
      INSERT INTO work_items (id, task_id, payload, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (id) DO NOTHING`);
    // One statement finds and takes the items: the WHERE re-checks status, so two workers can never both win.
    // Never an ownership lease (a task's or a LangGraph thread's): those are locks, not work to hand out.
    this.#acquireNext = s.prepare(`${TAKE}
      WHERE id IN (SELECT id FROM work_items WHERE status = 'pending'
                     AND substr(id, 1, 5) != '${OWNERSHIP_PREFIXES[0]}' AND substr(id, 1, 7) != '${OWNERSHIP_PREFIXES[1]}'
                   ORDER BY created_at, id LIMIT @limit)
        AND status = 'pending'
      ${TAKEN}`);
    // A named item is taken when pending, when its lease has expired, or (deadEpoch) when it is still at the epoch of
    // a holder found dead. The new epoch fences the old holder out.
    this.#acquireItem = s.prepare(`${TAKE}
      WHERE id = @id AND (status = 'pending'
        OR (status = 'leased' AND (lease_expires_at <= @now OR epoch = @deadEpoch)))
      ${TAKEN}`);
    this.#renew = s.prepare(`
      UPDATE work_items SET lease_expires_at = @now + @duration, updated_at = @now
      WHERE ${HELD} RETURNING lease_expires_at`);
    this.#complete = s.prepare(`
      UPDATE work_items SET status = 'completed', lease_holder = NULL, lease_expires_at = NULL,
        last_holder = lease_holder, result = @result, updated_at = @now
      WHERE ${HELD}`);
    this.#release = s.prepare(`
      UPDATE work_items SET status = 'pending', lease_holder = NULL, lease_expires_at = NULL,
        last_holder = lease_holder, updated_at = @now
      WHERE ${HELD}`);
    this.#get = s.prepare('SELECT * FROM work_items WHERE id = ?');
    this.#holder = s.prepare(
      'SELECT status, epoch, holder_host, holder_pid_space, holder_pid, holder_start FROM work_items WHERE id = ?',
    );
  }

  async enqueue(items: readonly NewWorkItem[]): Promise<number> {
    return this.#db.writeTransaction(() => {
      const now = this.#db.clock.now();
      let added = 0;
      for (const i of items) added += this.#enqueue.run(i.id, i.taskId, i.payloadJson, now, now).changes;
      return added;
    });
  }

  async acquireNext(workerId: string, durationMs: number, limit: number): Promise<LeaseRow[]> {
    const rows = this.#db.writeTransaction(() => {
      const params = { worker: workerId, now: this.#db.clock.now(), duration: durationMs, limit, ...NO_HOLDER };
      const taken = this.#acquireNext.all(params) as LeaseRow[];
      for (const t of taken) this.#log(t, workerId, 'acquire', params.now);
      return taken;
    });
    return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async acquireItem(
    itemId: string,
    workerId: string,
    durationMs: number,
    holder: HolderColumns,
    deadEpoch: number | null,
  ): Promise<LeaseRow | undefined> {
    return this.#db.writeTransaction(() => {
      const now = this.#db.clock.now();
      const params = { id: itemId, worker: workerId, now, duration: durationMs, deadEpoch, ...holder };
      const taken = this.#acquireItem.get(params) as LeaseRow | undefined;
      if (taken) this.#log(taken, workerId, deadEpoch === null ? 'acquire' : 'takeover', now);
      return taken;
    });
  }

  async holderOf(itemId: string): Promise<HeldItemRow | undefined> {
    return this.#holder.get(itemId) as HeldItemRow | undefined;
  }

  async renew(fence: Fence, durationMs: number): Promise<number> {
    return this.#db.writeTransaction(() => {
      const now = this.#db.clock.now();
      const row = this.#renew.get({ ...held(fence), now, duration: durationMs }) as
        | { lease_expires_at: number }
        | undefined;
      if (!row) throw this.#db.fencing.lost(fence, 'renew', now);
      this.#db.fencing.log(fence, 'renew', now);
      return row.lease_expires_at;
    });
  }

  async complete(fence: Fence, resultJson: string): Promise<void> {
    this.#db.writeTransaction(() => this.completeIn(fence, resultJson));
  }

  /** complete() inside the caller's write transaction (a task's terminal status and its lease end together). */
  completeIn(fence: Fence, resultJson: string): void {
    this.#db.writeTransaction(() => {
      const now = this.#db.clock.now();
      if (this.#complete.run({ ...held(fence), now, result: resultJson }).changes === 0)
        throw this.#db.fencing.lost(fence, 'complete', now);
      this.#db.fencing.log(fence, 'complete', now);
    });
  }

  async completeBatch(
    workerId: string,
    items: readonly { itemId: string; epoch: number }[],
    resultJson: string,
  ): Promise<string[]> {
    return this.#db.writeTransaction(() => {
      const now = this.#db.clock.now();
      const done: string[] = [];
      for (const { itemId, epoch } of items) {
        const fence = { itemId, epoch, workerId };
        if (this.#complete.run({ ...held(fence), now, result: resultJson }).changes === 0) continue;
        this.#db.fencing.log(fence, 'complete', now);
        done.push(itemId);
      }
      return done;
    });
  }

  async release(fence: Fence): Promise<void> {
    this.#db.writeTransaction(() => {
      const now = this.#db.clock.now();
      if (this.#release.run({ ...held(fence), now }).changes === 0) throw this.#db.fencing.lost(fence, 'release', now);
      this.#db.fencing.log(fence, 'release', now);
    });
  }

  async get(itemId: string): Promise<WorkItemRow | undefined> {
    return this.#get.get(itemId) as WorkItemRow | undefined;
  }

  #log(row: LeaseRow, workerId: string, op: 'acquire' | 'takeover', now: number): void {
    this.#db.fencing.log({ itemId: row.id, epoch: row.epoch, workerId }, op, now);
  }
}

function held(fence: Fence): { id: string; epoch: number; worker: string } {
  return { id: fence.itemId, epoch: fence.epoch, worker: fence.workerId };
}
