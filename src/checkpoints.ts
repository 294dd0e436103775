import { performance } from 'node:perf_hooks';
import type { Statement } from 'better-sqlite3';
import type { CheckpointApi } from './backend.js';
import type { AgentDatabase } from './db.js';
import { NotFoundError } from './errors.js';
import { crashPoint } from './crash-points.js';
import { mutant } from './mutants.js';
import { EvidenceVerifier, type EvidencePack, type VerificationResult } from './evidence.js';
import type { Fence } from './fencing.js';
import { serializeJson, type Json } from './json-state.js';
import { Metrics } from './metrics.js';
import { InvalidArgumentError, assertId, assertPositiveInt } from './validate.js';

export interface Checkpoint<S = Json> {
  id: number;
  taskId: string;
  /** Per-task sequence number: 1, 2, 3, … unique and without gaps. */
  seq: number;
  step: string;
  state: S;
  evidence: EvidencePack | null;
  verified: boolean;
  verification: VerificationResult | null;
  createdAt: number;
  verifiedAt: number | null;
}

/** A checkpoint validated and serialised by begin(), not yet written. */
export interface PendingCheckpoint {
  readonly taskId: string;
  readonly step: string;
  readonly stateJson: string;
}

export interface CheckpointManagerOptions {
  /** Verify evidence as part of commit (default true). Without it a checkpoint stays unverified until verify(). */
  autoVerify?: boolean;
  /** Directory evidence paths are confined to (default: the current working directory). */
  baseDir?: string;
  metrics?: Metrics;
}

/** A checkpoints row as either backend returns it (SQLite stores verified as 0/1, PostgreSQL as a boolean). */
export interface CheckpointRow {
  id: number;
  task_id: string;
  seq: number;
  step: string;
  state: string;
  evidence: string | null;
  verified: 0 | 1 | boolean;
  verification: string | null;
  created_at: number;
  verified_at: number | null;
}

/** Pending checkpoints made by begin() (of any manager): the only ones commit() writes. */
const BEGUN = new WeakSet<PendingCheckpoint>();

/** Validates ids and serialises state (TypeError for state JSON cannot hold): what commit() of either backend takes. */
export function beginCheckpoint(taskId: string, step: string, state: unknown): PendingCheckpoint {
  assertId('taskId', taskId);
  assertId('step', step);
  const pending = Object.freeze({
    taskId,
    step,
    stateJson: serializeJson(state, `state of task "${taskId}" step "${step}"`),
  });
  BEGUN.add(pending);
  return pending;
}

/** Only what beginCheckpoint() validated is written, once: a hand-built object could put unparseable state on disk. */
export function assertCommittable(pending: PendingCheckpoint, committed: WeakSet<PendingCheckpoint>): void {
  if (!BEGUN.has(pending)) {
    throw new InvalidArgumentError('a pending checkpoint must come from begin(); commit() was given another object');
  }
  if (committed.has(pending)) {
    throw new InvalidArgumentError(
      `pending checkpoint for task "${pending.taskId}" step "${pending.step}" was already committed`,
    );
  }
}

/** Durable, per-task, gap-free sequence of step states, each optionally backed by verified evidence. */
export class CheckpointManager implements CheckpointApi {
  readonly verifier: EvidenceVerifier;
  readonly metrics: Metrics;
  readonly #db: AgentDatabase;
  readonly #autoVerify: boolean;
  readonly #committed = new WeakSet<PendingCheckpoint>();
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

  constructor(db: AgentDatabase, options: CheckpointManagerOptions = {}) {
    this.#db = db;
    this.#autoVerify = options.autoVerify ?? true;
    this.verifier = new EvidenceVerifier({ baseDir: options.baseDir ?? process.cwd() });
    this.metrics = options.metrics ?? new Metrics();
    const s = db.sqlite;
    // The sequence number is computed inside the INSERT, under the write lock: concurrent committers serialise.
    this.#insert = s.prepare(`
      INSERT INTO checkpoints (task_id, seq, step, state, evidence, verified, verification, created_at, verified_at,
                               lease_item, lease_epoch)
      VALUES (@taskId, (SELECT COALESCE(MAX(seq), 0) + 1 FROM checkpoints WHERE task_id = @taskId),
              @step, @state, @evidence, @verified, @verification, @now, @verifiedAt, @leaseItem, @leaseEpoch)
      RETURNING id, seq`);
    this.#byId = s.prepare('SELECT * FROM checkpoints WHERE id = ?');
    // verify() reads only the evidence: the state may be megabytes.
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

  /** Validates ids and serialises state; throws TypeError for state JSON cannot hold. Writes nothing. */
  begin(taskId: string, step: string, state: unknown): PendingCheckpoint {
    return beginCheckpoint(taskId, step, state);
  }

  /**
   * Writes the checkpoint with the next sequence number for its task. Evidence is verified first when autoVerify is
   * on. With `lease`, the write is fenced: refused with LeaseLostError (nothing written) unless the lease is still
   * held, checked in the same transaction as the insert.
   */
  commit<S = Json>(
    pending: PendingCheckpoint,
    evidence?: EvidencePack,
    options: { lease?: Fence } = {},
  ): Checkpoint<S> {
    assertCommittable(pending, this.#committed);
    const started = performance.now();
    const verification = this.#autoVerify ? this.verifier.verify(evidence) : null;
    if (verification) this.#countVerification(verification);
    const now = this.#db.clock.now();
    const params = {
      taskId: pending.taskId,
      step: pending.step,
      state: pending.stateJson,
      evidence: evidence ? JSON.stringify(evidence) : null,
      verified: verification?.ok ? 1 : 0,
      verification: verification ? JSON.stringify(verification) : null,
      now,
      verifiedAt: verification ? now : null,
      leaseItem: options.lease?.itemId ?? null,
      leaseEpoch: options.lease?.epoch ?? null,
    };
    const lease = options.lease;
    const write = (): { id: number; seq: number } =>
      this.#db.writeTransaction(() => {
        if (lease) this.#db.fencing.check(lease, 'checkpoint', now);
        const inserted = this.#insert.get(params) as { id: number; seq: number };
        crashPoint('checkpoint.before-commit');
        return inserted;
      });
    const row = mutant === 'ack-before-commit' ? this.#ackBeforeCommit(pending.taskId, write) : write();
    crashPoint('checkpoint.after-commit');
    this.#committed.add(pending);
    this.metrics.increment('checkpointsCommitted');
    this.metrics.checkpointCommitLatency.record(performance.now() - started);
    return committedCheckpoint<S>(pending, { ...row, createdAt: now }, evidence, verification);
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

  /** Re-checks a stored checkpoint's evidence now and records the outcome. */
  verify(id: number): VerificationResult {
    const row = this.#evidenceById.get(id) as Pick<CheckpointRow, 'evidence'> | undefined;
    if (!row) throw new NotFoundError('checkpoint', id);
    const result = this.verifier.verify(row.evidence ? (JSON.parse(row.evidence) as EvidencePack) : null);
    this.#countVerification(result);
    this.#db.writeTransaction(() =>
      this.#markVerified.run(result.ok ? 1 : 0, JSON.stringify(result), this.#db.clock.now(), id),
    );
    return result;
  }

  get<S = Json>(id: number): Checkpoint<S> {
    const row = this.#byId.get(id) as CheckpointRow | undefined;
    if (!row) throw new NotFoundError('checkpoint', id);
    return fromRow<S>(row);
  }

  /** The task's latest checkpoint (or latest verified one), or null if it has none. */
  getLast<S = Json>(taskId: string, options: { verifiedOnly?: boolean } = {}): Checkpoint<S> | null {
    assertId('taskId', taskId);
    const row = (options.verifiedOnly ? this.#lastVerified : this.#last).get(taskId) as CheckpointRow | undefined;
    return row ? fromRow<S>(row) : null;
  }

  /** The task's checkpoints in sequence order. */
  list<S = Json>(taskId: string, options: { afterSeq?: number; limit?: number } = {}): Checkpoint<S>[] {
    assertId('taskId', taskId);
    const limit = options.limit ?? -1;
    return (this.#list.all(taskId, options.afterSeq ?? 0, limit) as CheckpointRow[]).map((r) => fromRow<S>(r));
  }

  /** Deletes all but the task's newest keepLast checkpoints (at least one is kept so numbering continues). */
  cleanup(taskId: string, keepLast = 100): number {
    assertId('taskId', taskId);
    assertPositiveInt('keepLast', keepLast);
    return this.#db.writeTransaction(() => this.#cleanup.run({ taskId, keepLast }).changes);
  }

  #countVerification(result: VerificationResult): void {
    this.metrics.increment('verifications');
    if (!result.ok) this.metrics.increment('verificationFailures');
  }
}

/** What commit() returns, on either backend: the pending checkpoint as the store numbered and dated it. */
export function committedCheckpoint<S>(
  pending: PendingCheckpoint,
  stored: { id: number; seq: number; createdAt: number },
  evidence: EvidencePack | undefined,
  verification: VerificationResult | null,
): Checkpoint<S> {
  return {
    id: stored.id,
    taskId: pending.taskId,
    seq: stored.seq,
    step: pending.step,
    state: JSON.parse(pending.stateJson) as S,
    evidence: evidence ?? null,
    verified: verification?.ok ?? false,
    verification,
    createdAt: stored.createdAt,
    verifiedAt: verification ? stored.createdAt : null,
  };
}

export function fromRow<S>(row: CheckpointRow): Checkpoint<S> {
  return {
    id: row.id,
    taskId: row.task_id,
    seq: row.seq,
    step: row.step,
    state: JSON.parse(row.state) as S,
    evidence: row.evidence ? (JSON.parse(row.evidence) as EvidencePack) : null,
    verified: row.verified === 1 || row.verified === true,
    verification: row.verification ? (JSON.parse(row.verification) as VerificationResult) : null,
    createdAt: row.created_at,
    verifiedAt: row.verified_at,
  };
}
