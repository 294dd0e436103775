import type { Statement } from 'better-sqlite3';
import { crashPoint } from '../crash-points.js';
import type { AgentDatabase } from './db.js';
import type { Fence } from '../core/fence.js';
import { mutant } from '../mutants.js';
import type { CheckpointRow, CheckpointStore, NewCheckpoint } from '../store.js';

interface Inserted {
  id: number;
  seq: number;
  createdAt: number;
}

/** The checkpoints table on SQLite: each insert numbered and fenced in one write transaction. */
export class SqliteCheckpointStore implements CheckpointStore {
  readonly #db: AgentDatabase;
  /** The 'ack-before-commit' mutant's inserts not yet run, per task and in all. */
  readonly #deferred = new Map<string, number>();
  #deferredTotal = 0;
  readonly #insert: Statement;
  readonly #byId: Statement;
  readonly #evidenceById: Statement;
  readonly #last: Statement;
  readonly #lastVerified: Statement;
  readonly #list: Statement;
  readonly #markVerified: Statement;
  readonly #cleanup: Statement;

  constructor(db: AgentDatabase) {
    this.#db = db;
    const s = db.sqlite;
    // The sequence number is computed inside the INSERT, under the write lock: concurrent committers serialise.
    this.#insert = s.prepare(`
      INSERT INTO checkpoints (task_id, seq, step, state, evidence, verified, verification, created_at, verified_at,
                               lease_item, lease_epoch)
      VALUES (@taskId, (SELECT COALESCE(MAX(seq), 0) + 1 FROM checkpoints WHERE task_id = @taskId),
              @step, @state, @evidence, @verified, @verification, @now, @verifiedAt, @leaseItem, @leaseEpoch)
      RETURNING id, seq`);
    this.#byId = s.prepare('SELECT * FROM checkpoints WHERE id = ?');
    this.#evidenceById = s.prepare('SELECT evidence FROM checkpoints WHERE id = ?');
    this.#last = s.prepare('SELECT * FROM checkpoints WHERE task_id = ? ORDER BY seq DESC LIMIT 1');
    this.#lastVerified = s.prepare(
      'SELECT * FROM checkpoints WHERE task_id = ? AND verified = 1 ORDER BY seq DESC LIMIT 1',
    );
    this.#list = s.prepare('SELECT * FROM checkpoints WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.#markVerified = s.prepare(
      'UPDATE checkpoints SET verified = ?, verification = ?, verified_at = ? WHERE id = ?',
    );
    this.#cleanup = s.prepare(`
      DELETE FROM checkpoints
      WHERE task_id = @taskId AND seq <= (SELECT MAX(seq) FROM checkpoints WHERE task_id = @taskId) - @keepLast`);
  }

  async insert(c: NewCheckpoint, fence?: Fence): Promise<Inserted> {
    const now = this.#db.clock.now();
    const write = (): { id: number; seq: number } =>
      this.#db.writeTransaction(() => {
        if (fence) this.#db.fencing.check(fence, 'checkpoint', now);
        const inserted = this.#insert.get({
          taskId: c.taskId,
          step: c.step,
          state: c.stateJson,
          evidence: c.evidenceJson,
          verified: c.verified ? 1 : 0,
          verification: c.verificationJson,
          now,
          verifiedAt: c.verificationJson === null ? null : now,
          leaseItem: fence?.itemId ?? null,
          leaseEpoch: fence?.epoch ?? null,
        }) as { id: number; seq: number };
        crashPoint('checkpoint.before-commit');
        return inserted;
      });
    const row = mutant === 'ack-before-commit' ? this.#ackBeforeCommit(c.taskId, write) : write();
    return { id: row.id, seq: row.seq, createdAt: now };
  }

  /** The 'ack-before-commit' mutant: answers with the id and seq the insert would get, and inserts 50 ms later. */
  #ackBeforeCommit(taskId: string, write: () => { id: number; seq: number }): { id: number; seq: number } {
    const stored = this.#db.sqlite
      .prepare(
        'SELECT (SELECT COALESCE(MAX(id), 0) FROM checkpoints) AS id, (SELECT COALESCE(MAX(seq), 0) FROM checkpoints WHERE task_id = ?) AS seq',
      )
      .get(taskId) as { id: number; seq: number };
    // Counting the inserts still pending, so that without a crash every answer turns out right.
    const pending = (this.#deferred.get(taskId) ?? 0) + 1;
    this.#deferred.set(taskId, pending);
    this.#deferredTotal++;
    setTimeout(() => {
      write();
      this.#deferred.set(taskId, (this.#deferred.get(taskId) ?? 1) - 1);
      this.#deferredTotal--;
    }, 50);
    return { id: stored.id + this.#deferredTotal, seq: stored.seq + pending };
  }

  async byId(id: number): Promise<CheckpointRow | undefined> {
    return this.#byId.get(id) as CheckpointRow | undefined;
  }

  async evidenceOf(id: number): Promise<{ evidence: string | null } | undefined> {
    return this.#evidenceById.get(id) as { evidence: string | null } | undefined;
  }

  async last(taskId: string, verifiedOnly: boolean): Promise<CheckpointRow | undefined> {
    return (verifiedOnly ? this.#lastVerified : this.#last).get(taskId) as CheckpointRow | undefined;
  }

  async list(taskId: string, afterSeq: number, limit: number | null): Promise<CheckpointRow[]> {
    return this.#list.all(taskId, afterSeq, limit ?? -1) as CheckpointRow[];
  }

  async markVerified(id: number, ok: boolean, verificationJson: string): Promise<void> {
    const now = this.#db.clock.now();
    this.#db.writeTransaction(() => this.#markVerified.run(ok ? 1 : 0, verificationJson, now, id));
  }

  async cleanup(taskId: string, keepLast: number): Promise<number> {
    return this.#db.writeTransaction(() => this.#cleanup.run({ taskId, keepLast }).changes);
  }
}
