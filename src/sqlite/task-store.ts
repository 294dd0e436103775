import type { Statement } from 'better-sqlite3';
import type { Fence } from '../core/fence.js';
import type { AgentDatabase } from './db.js';
import type { TaskStatus, TaskStore } from '../store.js';

/** The tasks table on SQLite: each write fenced by the task's lease in its write transaction. */
export class SqliteTaskStore implements TaskStore {
  readonly #db: AgentDatabase;
  readonly #status: Statement;
  readonly #setStatus: Statement;
  readonly #salt: Statement;

  constructor(db: AgentDatabase) {
    this.#db = db;
    this.#status = db.sqlite.prepare('SELECT status, error FROM tasks WHERE id = ?');
    this.#salt = db.sqlite.prepare('SELECT salt FROM idempotency_salt WHERE id = 1').pluck();
    this.#setStatus = db.sqlite.prepare(`
      INSERT INTO tasks (id, status, error, created_at, updated_at, lease_epoch) VALUES (@id, @status, @error, @now, @now, @epoch)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, error = excluded.error, updated_at = excluded.updated_at,
        lease_epoch = excluded.lease_epoch`);
  }

  async idempotencySalt(): Promise<string | undefined> {
    return this.#salt.get() as string | undefined;
  }

  async status(taskId: string): Promise<{ status: TaskStatus; error: string | null } | undefined> {
    return this.#status.get(taskId) as { status: TaskStatus; error: string | null } | undefined;
  }

  async writeStatus(taskId: string, fence: Fence, status: TaskStatus, error: string | null): Promise<void> {
    this.#db.writeTransaction(() => this.#write(taskId, fence, status, error));
  }

  async finish(
    taskId: string,
    fence: Fence,
    status: 'succeeded' | 'failed',
    error: string | null,
    resultJson: string,
  ): Promise<void> {
    this.#db.writeTransaction(() => {
      this.#write(taskId, fence, status, error);
      this.#db.leaseStore.completeIn(fence, resultJson);
    });
  }

  #write(taskId: string, fence: Fence, status: TaskStatus, error: string | null): void {
    const now = this.#db.clock.now();
    this.#db.fencing.check(fence, 'task-status', now);
    this.#setStatus.run({ id: taskId, status, error, now, epoch: fence.epoch });
  }
}
