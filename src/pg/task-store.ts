import type { Fence } from '../core/fence.js';
import type { LeasedOperation } from '../errors.js';
import type { TaskStatus, TaskStore } from '../store.js';
import type { PgDatabase } from './db.js';
import { leaseHeld, refusal } from './fence.js';

const HELD = leaseHeld();
const UPSERT = `INSERT INTO tasks (id, status, error, created_at, updated_at, lease_epoch)
    SELECT $4, $5, $6, agentos_now_ms(), agentos_now_ms(), $2 FROM fence
    ON CONFLICT (id) DO UPDATE SET status = excluded.status, error = excluded.error,
      updated_at = excluded.updated_at, lease_epoch = excluded.lease_epoch
    RETURNING 1`;
const LOG = (op: LeasedOperation, from: string): string =>
  `INSERT INTO lease_log (item_id, epoch, holder, op, at) SELECT $1, $2, $3, '${op}', agentos_now_ms() FROM ${from}`;

// The status, fenced: the task's lease row stays share-locked until the commit, as for a checkpoint.
const WRITE_STATUS = `WITH fence AS (SELECT 1 FROM work_items WHERE ${HELD} FOR SHARE),
  written AS (${UPSERT}),
  log AS (${LOG('task-status', 'written')})
  SELECT COUNT(*)::int AS n FROM written`;
// The terminal status and the lease's completion in one statement: both happen, or (refused) neither.
// Its two log rows come from one ordered INSERT: the status is logged before the completion, as on SQLite (side
// statements of one query run in an order of the server's choosing, and the checker allows no write after a complete).
const FINISH = `WITH fence AS (
    UPDATE work_items SET status = 'completed', lease_holder = NULL, lease_expires_at = NULL,
      last_holder = lease_holder, result = $7, updated_at = agentos_now_ms()
    WHERE ${HELD} RETURNING 1),
  written AS (${UPSERT}),
  log AS (INSERT INTO lease_log (item_id, epoch, holder, op, at)
    SELECT $1, $2, $3, v.op, agentos_now_ms() FROM written, (VALUES (1, 'task-status'), (2, 'complete')) AS v (o, op)
    ORDER BY v.o)
  SELECT COUNT(*)::int AS n FROM written`;

/** The tasks table on PostgreSQL: each write one statement, fenced by the task's lease by the server's clock. */
export class PgTaskStore implements TaskStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async idempotencySalt(): Promise<string | undefined> {
    const [row] = await this.#db.query<{ salt: string }>('SELECT salt FROM idempotency_salt WHERE id = 1');
    return row?.salt;
  }

  async status(taskId: string): Promise<{ status: TaskStatus; error: string | null } | undefined> {
    const [row] = await this.#db.query<{ status: TaskStatus; error: string | null }>(
      'SELECT status, error FROM tasks WHERE id = $1',
      [taskId],
    );
    return row;
  }

  async writeStatus(taskId: string, fence: Fence, status: TaskStatus, error: string | null): Promise<void> {
    await this.#fenced(WRITE_STATUS, [taskId, status, error], fence, 'task-status', 'agentos.task.status');
  }

  async finish(
    taskId: string,
    fence: Fence,
    status: 'succeeded' | 'failed',
    error: string | null,
    resultJson: string,
  ): Promise<void> {
    await this.#fenced(FINISH, [taskId, status, error, resultJson], fence, 'complete', 'agentos.task.finish');
  }

  async #fenced(sql: string, values: unknown[], fence: Fence, operation: LeasedOperation, name: string): Promise<void> {
    const [row] = await this.#db.query<{ n: number }>(
      sql,
      [fence.itemId, fence.epoch, fence.workerId, ...values],
      name,
    );
    if (!row || row.n === 0) throw await refusal(this.#db, fence, operation);
  }
}
