import type { Statement } from 'better-sqlite3';
import { crashPoint } from '../crash-points.js';
import { RECOVERY_TASK_PREFIX } from '../core/recovery.js';
import type { AgentDatabase } from './db.js';
import type { SweepBatch, SweepStore } from '../store.js';

// The batch: the oldest expired leases (the same rows for every statement of its transaction).
const BATCH = `SELECT id FROM work_items WHERE status = 'leased' AND lease_expires_at <= @now
  ORDER BY lease_expires_at, id LIMIT @limit`;

/** The recovery sweep's statements on SQLite: each batch and each trim one write transaction, by the injected clock. */
export class SqliteSweepStore implements SweepStore {
  readonly #db: AgentDatabase;
  readonly #recordRecoveries: Statement;
  readonly #logReclaims: Statement;
  readonly #reclaim: Statement;
  readonly #tasksAfter: Statement;
  readonly #trimTask: Statement;
  readonly #trimLeaseLog: Statement;

  constructor(db: AgentDatabase) {
    this.#db = db;
    const s = db.sqlite;
    // Checkpoints first, while the rows still name their holder.
    this.#recordRecoveries = s.prepare(`
      INSERT INTO checkpoints (task_id, seq, step, state, verified, created_at, verified_at)
      SELECT '${RECOVERY_TASK_PREFIX}' || w.id,
             COALESCE((SELECT MAX(c.seq) FROM checkpoints c WHERE c.task_id = '${RECOVERY_TASK_PREFIX}' || w.id), 0) + 1,
             'lease-expired',
             json_object('itemId', w.id, 'taskId', w.task_id, 'holder', w.lease_holder, 'epoch', w.epoch,
                         'recoveredAt', @now),
             1, @now, @now
      FROM work_items w WHERE w.id IN (${BATCH})`);
    // The reclaim ends the old holder's lease: logged, so a checker knows no write of that epoch may follow.
    this.#logReclaims = s.prepare(`
      INSERT INTO lease_log (item_id, epoch, holder, op, at)
      SELECT w.id, w.epoch, w.lease_holder, 'reclaim', @now FROM work_items w WHERE w.id IN (${BATCH})`);
    this.#reclaim = s.prepare(`
      UPDATE work_items
      SET status = 'pending', last_holder = lease_holder, lease_holder = NULL, lease_expires_at = NULL,
          recoveries = recoveries + 1, updated_at = @now
      WHERE id IN (${BATCH})`);
    // Sequence numbers are gap-free and trimming removes the oldest, so a task holds MAX - MIN + 1 checkpoints.
    this.#tasksAfter = s.prepare(`
      SELECT task_id AS taskId, MIN(seq) AS first, MAX(seq) AS last FROM checkpoints
      WHERE task_id > @after GROUP BY task_id ORDER BY task_id LIMIT @limit`);
    this.#trimTask = s.prepare('DELETE FROM checkpoints WHERE task_id = ? AND seq <= ?');
    this.#trimLeaseLog = s.prepare(`
      DELETE FROM lease_log WHERE seq IN (
        SELECT l.seq FROM lease_log l JOIN work_items w ON w.id = l.item_id
        WHERE w.status = 'completed' AND w.updated_at <= @cutoff LIMIT @limit)`);
  }

  async reclaimExpired(limit: number, recordCheckpoints: boolean): Promise<SweepBatch> {
    const batch = this.#db.writeTransaction(() => {
      const params = { now: this.#db.clock.now(), limit };
      const checkpointsCreated = recordCheckpoints ? this.#recordRecoveries.run(params).changes : 0;
      crashPoint('sweep.mid-batch');
      this.#logReclaims.run(params);
      return { checkpointsCreated, reclaimed: this.#reclaim.run(params).changes };
    });
    // A full batch means a large backlog: let the connection drop the pages it cached, so memory stays bounded.
    if (batch.reclaimed === limit) this.#db.sqlite.pragma('shrink_memory');
    return batch;
  }

  async trimCheckpoints(
    afterTaskId: string,
    limit: number,
    keepLast: number,
  ): Promise<{ deleted: number; lastTaskId: string | null }> {
    return this.#db.writeTransaction(() => {
      const tasks = this.#tasksAfter.all({ after: afterTaskId, limit }) as {
        taskId: string;
        first: number;
        last: number;
      }[];
      let deleted = 0;
      for (const { taskId, first, last } of tasks) {
        if (last - first + 1 > keepLast) deleted += this.#trimTask.run(taskId, last - keepLast).changes;
      }
      return { deleted, lastTaskId: tasks.length < limit ? null : tasks[tasks.length - 1]!.taskId };
    });
  }

  async trimLeaseLog(retentionMs: number, limit: number): Promise<number> {
    return this.#db.writeTransaction(
      () => this.#trimLeaseLog.run({ cutoff: this.#db.clock.now() - retentionMs, limit }).changes,
    );
  }
}
