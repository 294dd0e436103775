import { performance } from 'node:perf_hooks';
import { Metrics } from '../metrics.js';
import type { AgentStore, SweepStore } from '../store.js';
import { InvalidArgumentError, assertPositiveInt } from '../validate.js';

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
  /** Interval of the background sweeps started by start() (default 60,000 ms). */
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
   * the sweep neither holds locks for long nor keeps the pages of a 100,000-item sweep cached.
   */
  batchSize?: number;
  metrics?: Metrics;
  /** Called with the stats of each background sweep, and with any error it raised (an error it throws is not caught). */
  onSweep?: (stats: SweepStats, error?: unknown) => void;
}

/** Prefix of the task ids under which the sweep records recovered leases; reserved, no user task may start with it. */
export const RECOVERY_TASK_PREFIX = 'lease-recovery:';

/** Refuses a user's task id in the sweep's name space, where its checkpoints would mix with the sweep's records. */
export function assertNotRecoveryTask(what: string, taskId: string): void {
  if (taskId.startsWith(RECOVERY_TASK_PREFIX)) {
    throw new InvalidArgumentError(
      `${what} ${JSON.stringify(taskId)} starts with "${RECOVERY_TASK_PREFIX}", which the recovery sweep reserves for its own checkpoints; choose another task id`,
    );
  }
}

/** The stats reported for a background sweep that failed. */
const FAILED: Omit<SweepStats, 'durationMs'> = {
  expiredFound: 0,
  recovered: 0,
  errors: 1,
  checkpointsCreated: 0,
  checkpointsDeleted: 0,
  leaseLogDeleted: 0,
};

/**
 * Returns expired leases (expired by the store's clock) to the pending queue in bounded batches, optionally recording
 * a checkpoint per recovered item, and trims old checkpoints and the lease log of long-completed items; on either
 * store.
 */
export class RecoverySweep {
  readonly scanIntervalMs: number;
  readonly metrics: Metrics;
  readonly #store: SweepStore;
  readonly #createCheckpoints: boolean;
  readonly #cleanup: boolean;
  readonly #retentionLimit: number;
  readonly #trimTasksPerSweep: number;
  readonly #leaseLogRetentionMs: number;
  readonly #batchSize: number;
  readonly #onSweep: RecoverySweepOptions['onSweep'];
  /** Where the next sweep's trim continues (task ids are trimmed in order, wrapping around). */
  #trimAfter = '';
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  /** The background sweep in flight, if any. */
  #inFlight: Promise<void> | undefined;

  constructor(db: AgentStore, options: RecoverySweepOptions = {}) {
    this.scanIntervalMs = options.scanIntervalMs ?? 60_000;
    assertPositiveInt('scanIntervalMs', this.scanIntervalMs);
    this.#retentionLimit = options.retentionLimit ?? 100;
    assertPositiveInt('retentionLimit', this.#retentionLimit);
    this.#batchSize = options.batchSize ?? 10_000;
    assertPositiveInt('batchSize', this.#batchSize);
    this.#trimTasksPerSweep = options.trimTasksPerSweep ?? 10_000;
    assertPositiveInt('trimTasksPerSweep', this.#trimTasksPerSweep);
    this.#leaseLogRetentionMs = options.leaseLogRetentionMs ?? 7 * 24 * 3600 * 1000;
    assertPositiveInt('leaseLogRetentionMs', this.#leaseLogRetentionMs);
    this.#createCheckpoints = options.createCheckpoints ?? true;
    this.#cleanup = options.cleanupOldCheckpoints ?? true;
    this.#onSweep = options.onSweep;
    this.metrics = options.metrics ?? new Metrics();
    this.#store = db.sweepStore;
  }

  /**
   * One sweep: every lease expired now is returned to the queue, batchSize per transaction (each batch is atomic; a
   * crash between batches leaves the rest to the next sweep). Then the next tasks' old checkpoints and the lease log
   * of long-completed items are trimmed.
   */
  async scanAndRecover(): Promise<SweepStats> {
    const started = performance.now();
    let recovered = 0;
    let checkpointsCreated = 0;
    for (let full = true; full; ) {
      const batch = await this.#store.reclaimExpired(this.#batchSize, this.#createCheckpoints);
      recovered += batch.reclaimed;
      checkpointsCreated += batch.checkpointsCreated;
      full = batch.reclaimed === this.#batchSize;
    }
    const checkpointsDeleted = this.#cleanup ? await this.#trimNextTasks() : 0;
    const leaseLogDeleted = await this.#store.trimLeaseLog(this.#leaseLogRetentionMs, this.#batchSize);
    const durationMs = performance.now() - started;
    this.metrics.increment('sweeps');
    this.metrics.increment('leaseExpirations', recovered);
    this.metrics.sweepDuration.record(durationMs);
    return {
      expiredFound: recovered,
      recovered,
      errors: 0,
      checkpointsCreated,
      checkpointsDeleted,
      leaseLogDeleted,
      durationMs,
    };
  }

  /** Trims the next trimTasksPerSweep tasks to the newest retentionLimit checkpoints; returns how many it deleted. */
  async #trimNextTasks(): Promise<number> {
    const { deleted, lastTaskId } = await this.#store.trimCheckpoints(
      this.#trimAfter,
      this.#trimTasksPerSweep,
      this.#retentionLimit,
    );
    // The end of the task ids was reached: the next sweep starts again from the first.
    this.#trimAfter = lastTaskId ?? '';
    return deleted;
  }

  /**
   * Sweeps every scanIntervalMs in the background, the next one scanIntervalMs after the last has finished (sweeps
   * never overlap). A sweep that fails is counted (sweepErrors) and reported to onSweep, and the sweeps go on.
   */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (!this.#inFlight) this.#schedule();
  }

  /** Stops the background sweeps; resolves once the sweep in flight, if any, has finished. No timer is left behind. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  get running(): boolean {
    return this.#running;
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#inFlight = this.#backgroundSweep().finally(() => {
        this.#inFlight = undefined;
        if (this.#running) this.#schedule();
      });
    }, this.scanIntervalMs);
    this.#timer.unref();
  }

  async #backgroundSweep(): Promise<void> {
    const started = performance.now();
    let stats: SweepStats;
    try {
      stats = await this.scanAndRecover();
    } catch (error) {
      this.metrics.increment('sweepErrors');
      this.#onSweep?.({ ...FAILED, durationMs: performance.now() - started }, error);
      return;
    }
    this.#onSweep?.(stats);
  }
}
