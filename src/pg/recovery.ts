import { performance } from 'node:perf_hooks';
import { crashPoint } from '../crash-points.js';
import { Metrics } from '../metrics.js';
import { assertPositiveInt } from '../validate.js';
import type { PgDatabase } from './db.js';

export interface PgSweepStats {
  recovered: number;
  durationMs: number;
}

export interface PgRecoverySweepOptions {
  /** Most leases reclaimed per statement (default 10,000); a larger backlog takes several. */
  batchSize?: number;
  metrics?: Metrics;
}

// Expired by the server's clock. Locked rows are skipped: a holder renewing or completing right now is not raced.
// The reclaim is logged with the old holder's epoch, so a checker knows no write of that epoch may follow.
const RECLAIM = `WITH expired AS (
    SELECT id, epoch, lease_holder FROM work_items WHERE status = 'leased' AND lease_expires_at <= agentos_now_ms()
    ORDER BY lease_expires_at, id LIMIT $1 FOR UPDATE SKIP LOCKED),
  reclaimed AS (UPDATE work_items w SET status = 'pending', last_holder = w.lease_holder, lease_holder = NULL,
      lease_expires_at = NULL, recoveries = w.recoveries + 1, updated_at = agentos_now_ms()
    FROM expired WHERE w.id = expired.id RETURNING w.id),
  log AS (INSERT INTO lease_log (item_id, epoch, holder, op, at)
    SELECT id, epoch, lease_holder, 'reclaim', agentos_now_ms() FROM expired)
  SELECT COUNT(*)::int AS n FROM reclaimed`;

/** RecoverySweep on PostgreSQL: returns leases expired by the server's clock to the pending queue. */
export class PgRecoverySweep {
  readonly metrics: Metrics;
  readonly #db: PgDatabase;
  readonly #batchSize: number;

  constructor(db: PgDatabase, options: PgRecoverySweepOptions = {}) {
    this.#db = db;
    this.#batchSize = options.batchSize ?? 10_000;
    assertPositiveInt('batchSize', this.#batchSize);
    this.metrics = options.metrics ?? new Metrics();
  }

  /** One sweep: every lease expired now goes back to the queue, batchSize per statement (each atomic). */
  async scanAndRecover(): Promise<PgSweepStats> {
    const started = performance.now();
    let recovered = 0;
    for (let full = true; full; ) {
      const [row] = await this.#db.query<{ n: number }>(RECLAIM, [this.#batchSize], 'agentos.sweep.reclaim');
      const n = row?.n ?? 0;
      crashPoint('sweep.mid-batch');
      recovered += n;
      full = n === this.#batchSize;
    }
    const durationMs = performance.now() - started;
    this.metrics.increment('sweeps');
    this.metrics.increment('leaseExpirations', recovered);
    this.metrics.sweepDuration.record(durationMs);
    return { recovered, durationMs };
  }
}
