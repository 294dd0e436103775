import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Statement } from 'better-sqlite3';
import type { AgentDatabase } from './db.js';
import { crashPoint } from './crash-points.js';
import { Metrics } from './metrics.js';
import { assertPositiveInt } from './validate.js';

export interface SweepStats {
  expiredFound: number;
  recovered: number;
  errors: number;
  checkpointsCreated: number;
  checkpointsDeleted: number;
  /** lease_log rows of long-completed items removed. */
  leaseLogDeleted: number;
  durationMs: number;
}

export interface RecoverySweepOptions {
  /** Interval of the background timer started by start() (default 60,000 ms). */
  scanIntervalMs?: number;
  /** Write a 'lease-expired' checkpoint for each recovered item under task "lease-recovery:<item id>" (default true). */
  createCheckpoints?: boolean;
  /**
   * Trim tasks' checkpoints to the newest retentionLimit as part of each sweep (default true). Each sweep trims the
   * next trimTasksPerSweep tasks (in task id order, wrapping around), so every task is trimmed within a few sweeps
   * and a sweep's cost does not grow with the number of tasks.
   */
  cleanupOldCheckpoints?: boolean;
  retentionLimit?: number;
  /** Tasks whose checkpoints one sweep trims (default 10,000). */
  trimTasksPerSweep?: number;
  /**
   * How long the lease log keeps the acquisitions and fenced writes of an item after it was completed (default 7
   * days); then the sweep removes them, at most batchSize rows per sweep. An item still pending or leased keeps its
   * whole log, so a stale write can always be judged.
   */
  leaseLogRetentionMs?: number;
  /**
   * Most leases reclaimed per transaction (default 10,000). A large backlog is swept in several transactions, so
   * the sweep neither holds the write lock for long nor keeps the pages of a 100,000-item sweep cached.
   */
  batchSize?: number;
  metrics?: Metrics;
  /** Called with the stats of each background sweep and with any error it raised. */
  onSweep?: (stats: SweepStats, error?: unknown) => void;
}

/** Prefix of the task ids under which the sweep records recovered leases. */
export const RECOVERY_TASK_PREFIX = 'lease-recovery:';

/** Returns expired leases to the pending queue with set-based statements, in bounded batches, optionally recording and trimming checkpoints. */
export class RecoverySweep {
  readonly scanIntervalMs: number;
  readonly metrics: Metrics;
  readonly #db: AgentDatabase;
  readonly #createCheckpoints: boolean;
  readonly #cleanup: boolean;
  readonly #retentionLimit: number;
  readonly #batchSize: number;
  readonly #onSweep: RecoverySweepOptions['onSweep'];
  readonly #reclaim: Statement;
  readonly #logReclaims: Statement;
  readonly #recordRecoveries: Statement;
  readonly #trimTasksPerSweep: number;
  readonly #leaseLogRetentionMs: number;
  readonly #trimLeaseLog: Statement;
  readonly #tasksAfter: Statement;
  readonly #trimTask: Statement;
  /** Where the next sweep's trim continues (task ids are trimmed in order, wrapping around). */
  #trimAfter = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(db: AgentDatabase, options: RecoverySweepOptions = {}) {
    this.scanIntervalMs = options.scanIntervalMs ?? 60_000;
    assertPositiveInt('scanIntervalMs', this.scanIntervalMs);
    this.#retentionLimit = options.retentionLimit ?? 100;
    assertPositiveInt('retentionLimit', this.#retentionLimit);
    this.#batchSize = options.batchSize ?? 10_000;
    assertPositiveInt('batchSize', this.#batchSize);
    this.#createCheckpoints = options.createCheckpoints ?? true;
    this.#cleanup = options.cleanupOldCheckpoints ?? true;
    this.#trimTasksPerSweep = options.trimTasksPerSweep ?? 10_000;
    assertPositiveInt('trimTasksPerSweep', this.#trimTasksPerSweep);
    this.#leaseLogRetentionMs = options.leaseLogRetentionMs ?? 7 * 24 * 3600 * 1000;
    assertPositiveInt('leaseLogRetentionMs', this.#leaseLogRetentionMs);
    this.#onSweep = options.onSweep;
    this.metrics = options.metrics ?? new Metrics();
    this.#db = db;
    const s = db.sqlite;
    // The batch: the oldest expired leases (the same rows for both statements of a transaction).
    const batch = `SELECT id FROM work_items WHERE status = 'leased' AND lease_expires_at <= @now
      ORDER BY lease_expires_at, id LIMIT @limit`;
    // Checkpoints first, while the rows still name their holder.
    this.#recordRecoveries = s.prepare(`
      INSERT INTO checkpoints (task_id, seq, step, state, verified, created_at, verified_at)
      SELECT '${RECOVERY_TASK_PREFIX}' || w.id,
             COALESCE((SELECT MAX(c.seq) FROM checkpoints c WHERE c.task_id = '${RECOVERY_TASK_PREFIX}' || w.id), 0) + 1,
             'lease-expired',
             json_object('itemId', w.id, 'taskId', w.task_id, 'holder', w.lease_holder, 'epoch', w.epoch,
                         'recoveredAt', @now),
             1, @now, @now
      FROM work_items w WHERE w.id IN (${batch})`);
    // The reclaim ends the old holder's lease: logged, so a checker knows no write of that epoch may follow.
    this.#logReclaims = s.prepare(`
      INSERT INTO lease_log (item_id, epoch, holder, op, at)
      SELECT w.id, w.epoch, w.lease_holder, 'reclaim', @now FROM work_items w WHERE w.id IN (${batch})`);
    this.#reclaim = s.prepare(`
      UPDATE work_items
      SET status = 'pending', last_holder = lease_holder, lease_holder = NULL, lease_expires_at = NULL,
          recoveries = recoveries + 1, updated_at = @now, recovery_sweep = @sweep
      WHERE id IN (${batch})`);
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

  /**
   * One sweep: every lease expired now is returned to the queue, batchSize per IMMEDIATE transaction (each batch is
   * atomic; a crash between batches leaves the rest to the next sweep). Old checkpoints are trimmed at the end.
   */
  scanAndRecover(): SweepStats {
    const started = performance.now();
    const now = this.#db.clock.now();
    const sweep = randomUUID();
    const limit = this.#batchSize;
    let recovered = 0;
    let checkpointsCreated = 0;
    for (let full = true; full; ) {
      const batch = this.#db.writeTransaction(() => {
        const created = this.#createCheckpoints ? this.#recordRecoveries.run({ now, limit }).changes : 0;
        crashPoint('sweep.mid-batch');
        this.#logReclaims.run({ now, limit });
        return { created, reclaimed: this.#reclaim.run({ now, limit, sweep }).changes };
      });
      recovered += batch.reclaimed;
      checkpointsCreated += batch.created;
      full = batch.reclaimed === limit;
      // A full batch means a large backlog: let the connection drop the pages it cached, so memory stays bounded.
      if (full) this.#db.sqlite.pragma('shrink_memory');
    }
    // Housekeeping in one transaction: old checkpoints, and the lease log of long-completed items.
    const { checkpointsDeleted, leaseLogDeleted } = this.#db.writeTransaction(() => ({
      checkpointsDeleted: this.#cleanup ? this.#trimNextTasks() : 0,
      leaseLogDeleted: this.#trimLeaseLog.run({ cutoff: now - this.#leaseLogRetentionMs, limit }).changes,
    }));
    const stats = {
      expiredFound: recovered,
      recovered,
      errors: 0,
      checkpointsCreated,
      checkpointsDeleted,
      leaseLogDeleted,
    };
    const durationMs = performance.now() - started;
    this.metrics.increment('sweeps');
    this.metrics.increment('leaseExpirations', stats.recovered);
    this.metrics.sweepDuration.record(durationMs);
    return { ...stats, durationMs };
  }

  /** Trims the next trimTasksPerSweep tasks to the newest retentionLimit checkpoints; returns how many it deleted. */
  #trimNextTasks(): number {
    const keep = this.#retentionLimit;
    const tasks = this.#tasksAfter.all({ after: this.#trimAfter, limit: this.#trimTasksPerSweep }) as {
      taskId: string;
      first: number;
      last: number;
    }[];
    let deleted = 0;
    for (const { taskId, first, last } of tasks) {
      if (last - first + 1 > keep) deleted += this.#trimTask.run(taskId, last - keep).changes;
    }
    // A short page means the end of the task ids was reached: the next sweep starts again from the first.
    this.#trimAfter = tasks.length < this.#trimTasksPerSweep ? '' : tasks[tasks.length - 1]!.taskId;
    return deleted;
  }

  /** Starts the background sweep; a sweep that throws is counted and reported to onSweep, and the timer goes on. */
  start(): void {
    if (this.#timer) return;
    const tick = (): void => {
      try {
        this.#onSweep?.(this.scanAndRecover());
      } catch (error) {
        this.metrics.increment('sweepErrors');
        const failed: SweepStats = {
          expiredFound: 0,
          recovered: 0,
          errors: 1,
          checkpointsCreated: 0,
          checkpointsDeleted: 0,
          leaseLogDeleted: 0,
          durationMs: 0,
        };
        this.#onSweep?.(failed, error);
      }
    };
    this.#timer = setInterval(tick, this.scanIntervalMs);
    this.#timer.unref();
  }

  /** Stops the background sweep; no timer is left behind. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }
}
