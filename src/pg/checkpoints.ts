import { performance } from 'node:perf_hooks';
import {
  assertCommittable,
  beginCheckpoint,
  committedCheckpoint,
  fromRow,
  type Checkpoint,
  type CheckpointRow,
  type CheckpointManagerOptions,
  type PendingCheckpoint,
} from '../checkpoints.js';
import type { CheckpointApi } from '../backend.js';
import { crashPoint } from '../crash-points.js';
import { NotFoundError } from '../errors.js';
import { EvidenceVerifier, type EvidencePack, type VerificationResult } from '../evidence.js';
import type { Fence } from '../fencing.js';
import type { Json } from '../json-state.js';
import { Metrics } from '../metrics.js';
import { assertId, assertPositiveInt } from '../validate.js';
import type { PgDatabase } from './db.js';
import { leaseHeld, refusal } from './fence.js';

const VALUES = `$1, s.last, $2, $3, $4, $5, $6, agentos_now_ms(), CASE WHEN $6::text IS NULL THEN NULL ELSE agentos_now_ms() END`;
const COLUMNS = 'task_id, seq, step, state, evidence, verified, verification, created_at, verified_at';
const NEXT_SEQ = `INSERT INTO checkpoint_seqs AS q (task_id, last) SELECT $1, 1 FROM fence
  ON CONFLICT (task_id) DO UPDATE SET last = q.last + 1 RETURNING last`;

// One statement, so one round trip and one implicit transaction: the next sequence number, the insert and, under a
// lease, the fencing check (the item's row stays share-locked until the commit, so no acquisition can slip between
// the check and the write) and the lease log entry. If any part fails, none of it happened.
const INSERT = `WITH fence AS (SELECT 1), s AS (${NEXT_SEQ})
  INSERT INTO checkpoints (${COLUMNS}) SELECT ${VALUES} FROM s RETURNING id, seq, created_at`;
const INSERT_FENCED = `WITH fence AS (
    SELECT 1 FROM work_items WHERE ${leaseHeld('$7', '$8', '$9')} FOR SHARE),
  s AS (${NEXT_SEQ}),
  ins AS (INSERT INTO checkpoints (${COLUMNS}, lease_item, lease_epoch) SELECT ${VALUES}, $7, $8 FROM s
    RETURNING id, seq, created_at),
  log AS (INSERT INTO lease_log (item_id, epoch, holder, op, at) SELECT $7, $8, $9, 'checkpoint', created_at FROM ins)
  SELECT id, seq, created_at FROM ins`;

/** CheckpointManager on PostgreSQL: the same operations, async; times come from the server's clock. */
export class PgCheckpointManager implements CheckpointApi {
  readonly verifier: EvidenceVerifier;
  readonly metrics: Metrics;
  readonly #db: PgDatabase;
  readonly #autoVerify: boolean;
  readonly #committed = new WeakSet<PendingCheckpoint>();

  constructor(db: PgDatabase, options: CheckpointManagerOptions = {}) {
    this.#db = db;
    this.#autoVerify = options.autoVerify ?? true;
    this.verifier = new EvidenceVerifier({ baseDir: options.baseDir ?? process.cwd() });
    this.metrics = options.metrics ?? new Metrics();
  }

  /** Validates ids and serialises state; throws TypeError for state JSON cannot hold. Writes nothing. */
  begin(taskId: string, step: string, state: unknown): PendingCheckpoint {
    return beginCheckpoint(taskId, step, state);
  }

  /**
   * Writes the checkpoint with the next sequence number for its task. With `lease`, the write is fenced: refused with
   * LeaseLostError (nothing written) unless the lease is still held by the server's clock.
   */
  async commit<S = Json>(
    pending: PendingCheckpoint,
    evidence?: EvidencePack,
    options: { lease?: Fence } = {},
  ): Promise<Checkpoint<S>> {
    assertCommittable(pending, this.#committed);
    const started = performance.now();
    const verification = this.#autoVerify ? this.verifier.verify(evidence) : null;
    if (verification) this.#countVerification(verification);
    const values: unknown[] = [
      pending.taskId,
      pending.step,
      pending.stateJson,
      evidence ? JSON.stringify(evidence) : null,
      verification?.ok ?? false,
      verification ? JSON.stringify(verification) : null,
    ];
    const lease = options.lease;
    const rows = lease
      ? await this.#db.query<{ id: number; seq: number; created_at: number }>(
          INSERT_FENCED,
          [...values, lease.itemId, lease.epoch, lease.workerId],
          'agentos.checkpoint.insert-fenced',
        )
      : await this.#db.query<{ id: number; seq: number; created_at: number }>(
          INSERT,
          values,
          'agentos.checkpoint.insert',
        );
    const row = rows[0];
    if (!row) {
      if (!lease) throw new Error(`checkpoint insert for task "${pending.taskId}" returned no row`);
      this.metrics.increment('leaseLost');
      throw await refusal(this.#db, lease, 'checkpoint');
    }
    crashPoint('checkpoint.after-commit');
    this.#committed.add(pending);
    this.metrics.increment('checkpointsCommitted');
    this.metrics.checkpointCommitLatency.record(performance.now() - started);
    return committedCheckpoint<S>(
      pending,
      { id: row.id, seq: row.seq, createdAt: row.created_at },
      evidence,
      verification,
    );
  }

  /** Re-checks a stored checkpoint's evidence now and records the outcome. */
  async verify(id: number): Promise<VerificationResult> {
    const [row] = await this.#db.query<{ evidence: string | null }>('SELECT evidence FROM checkpoints WHERE id = $1', [
      id,
    ]);
    if (!row) throw new NotFoundError('checkpoint', id);
    const result = this.verifier.verify(row.evidence ? (JSON.parse(row.evidence) as EvidencePack) : null);
    this.#countVerification(result);
    await this.#db.query(
      'UPDATE checkpoints SET verified = $1, verification = $2, verified_at = agentos_now_ms() WHERE id = $3',
      [result.ok, JSON.stringify(result), id],
    );
    return result;
  }

  async get<S = Json>(id: number): Promise<Checkpoint<S>> {
    const [row] = await this.#db.query<CheckpointRow>('SELECT * FROM checkpoints WHERE id = $1', [id]);
    if (!row) throw new NotFoundError('checkpoint', id);
    return fromRow<S>(row);
  }

  /** The task's latest checkpoint (or latest verified one), or null if it has none. */
  async getLast<S = Json>(taskId: string, options: { verifiedOnly?: boolean } = {}): Promise<Checkpoint<S> | null> {
    assertId('taskId', taskId);
    const [row] = await this.#db.query<CheckpointRow>(
      `SELECT * FROM checkpoints WHERE task_id = $1 ${options.verifiedOnly ? 'AND verified' : ''}
       ORDER BY seq DESC LIMIT 1`,
      [taskId],
    );
    return row ? fromRow<S>(row) : null;
  }

  /** The task's checkpoints in sequence order. */
  async list<S = Json>(taskId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<Checkpoint<S>[]> {
    assertId('taskId', taskId);
    const rows = await this.#db.query<CheckpointRow>(
      'SELECT * FROM checkpoints WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [taskId, options.afterSeq ?? 0, options.limit ?? null],
    );
    return rows.map((r) => fromRow<S>(r));
  }

  /** Deletes all but the task's newest keepLast checkpoints (the sequence counter continues regardless). */
  async cleanup(taskId: string, keepLast = 100): Promise<number> {
    assertId('taskId', taskId);
    assertPositiveInt('keepLast', keepLast);
    const rows = await this.#db.query<{ n: number }>(
      `WITH d AS (DELETE FROM checkpoints WHERE task_id = $1
         AND seq <= (SELECT MAX(seq) FROM checkpoints WHERE task_id = $1) - $2 RETURNING 1)
       SELECT COUNT(*)::int AS n FROM d`,
      [taskId, keepLast],
    );
    return rows[0]?.n ?? 0;
  }

  #countVerification(result: VerificationResult): void {
    this.metrics.increment('verifications');
    if (!result.ok) this.metrics.increment('verificationFailures');
  }
}
