import { performance } from 'node:perf_hooks';
import { crashPoint } from '../crash-points.js';
import { LeaseLostError, NotFoundError } from '../errors.js';
import { EvidenceVerifier, unreadableEvidence, type EvidencePack, type VerificationResult } from '../evidence.js';
import type { Fence } from './fence.js';
import { serializeJson, type Json } from '../json-state.js';
import { Metrics } from '../metrics.js';
import type { AgentStore, CheckpointRow, CheckpointStore } from '../store.js';
import { InvalidArgumentError, assertId, assertPositiveInt } from '../validate.js';
import { assertNotRecoveryTask } from './recovery.js';

export interface Checkpoint<S = Json> {
  id: number;
  taskId: string;
  /** Per-task sequence number: 1, 2, 3, … unique and without gaps. */
  seq: number;
  step: string;
  state: S;
  /** Null also when the stored text is not JSON: verify(id) then fails with the reason. */
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

/** Pending checkpoints made by begin() (of any manager): the only ones commit() writes. */
const BEGUN = new WeakSet<PendingCheckpoint>();

/** Durable, per-task, gap-free sequence of step states, each optionally backed by verified evidence; on either store. */
export class CheckpointManager {
  readonly verifier: EvidenceVerifier;
  readonly metrics: Metrics;
  readonly #store: CheckpointStore;
  readonly #autoVerify: boolean;
  readonly #committed = new WeakSet<PendingCheckpoint>();

  constructor(db: AgentStore, options: CheckpointManagerOptions = {}) {
    this.#store = db.checkpointStore;
    this.#autoVerify = options.autoVerify ?? true;
    this.verifier = new EvidenceVerifier({ baseDir: options.baseDir ?? process.cwd() });
    this.metrics = options.metrics ?? new Metrics();
  }

  /** Validates ids and serialises state; throws TypeError for state JSON cannot hold. Writes nothing. */
  begin(taskId: string, step: string, state: unknown): PendingCheckpoint {
    assertId('taskId', taskId);
    assertNotRecoveryTask('taskId', taskId);
    assertId('step', step);
    const pending = Object.freeze({
      taskId,
      step,
      stateJson: serializeJson(state, `state of task "${taskId}" step "${step}"`),
    });
    BEGUN.add(pending);
    return pending;
  }

  /**
   * Writes the checkpoint with the next sequence number for its task. Evidence is verified first when autoVerify is
   * on. With `lease`, the write is fenced: refused with LeaseLostError (nothing written) unless the lease is still
   * held, checked in the same transaction as the insert.
   */
  async commit<S = Json>(
    pending: PendingCheckpoint,
    evidence?: EvidencePack,
    options: { lease?: Fence } = {},
  ): Promise<Checkpoint<S>> {
    this.#assertCommittable(pending);
    const started = performance.now();
    const verification = this.#autoVerify ? this.verifier.verify(evidence) : null;
    if (verification) this.#countVerification(verification);
    const checkpoint = {
      taskId: pending.taskId,
      step: pending.step,
      stateJson: pending.stateJson,
      evidenceJson: evidence ? JSON.stringify(evidence) : null,
      verified: verification?.ok ?? false,
      verificationJson: verification ? JSON.stringify(verification) : null,
    };
    let stored: { id: number; seq: number; createdAt: number };
    try {
      stored = await this.#store.insert(checkpoint, options.lease);
    } catch (error) {
      if (error instanceof LeaseLostError) this.metrics.increment('leaseLost');
      throw error;
    }
    crashPoint('checkpoint.after-commit');
    this.#committed.add(pending);
    this.metrics.increment('checkpointsCommitted');
    this.metrics.checkpointCommitLatency.record(performance.now() - started);
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

  /** Re-checks a stored checkpoint's evidence now and records the outcome. */
  async verify(id: number): Promise<VerificationResult> {
    const row = await this.#store.evidenceOf(id);
    if (!row) throw new NotFoundError('checkpoint', id);
    const result = row.evidence ? this.#verifyStored(row.evidence) : this.verifier.verify(null);
    this.#countVerification(result);
    await this.#store.markVerified(id, result.ok, JSON.stringify(result));
    return result;
  }

  async get<S = Json>(id: number): Promise<Checkpoint<S>> {
    const row = await this.#store.byId(id);
    if (!row) throw new NotFoundError('checkpoint', id);
    return fromRow<S>(row);
  }

  /** The task's latest checkpoint (or latest verified one), or null if it has none. */
  async getLast<S = Json>(taskId: string, options: { verifiedOnly?: boolean } = {}): Promise<Checkpoint<S> | null> {
    assertId('taskId', taskId);
    const row = await this.#store.last(taskId, options.verifiedOnly ?? false);
    return row ? fromRow<S>(row) : null;
  }

  /** The task's checkpoints in sequence order. */
  async list<S = Json>(taskId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<Checkpoint<S>[]> {
    assertId('taskId', taskId);
    const rows = await this.#store.list(taskId, options.afterSeq ?? 0, options.limit ?? null);
    return rows.map((r) => fromRow<S>(r));
  }

  /** Deletes all but the task's newest keepLast checkpoints (numbering continues after the newest regardless). */
  async cleanup(taskId: string, keepLast = 100): Promise<number> {
    assertId('taskId', taskId);
    assertPositiveInt('keepLast', keepLast);
    return this.#store.cleanup(taskId, keepLast);
  }

  /** Only what begin() validated is written, once: a hand-built object could put unparseable state on disk. */
  #assertCommittable(pending: PendingCheckpoint): void {
    if (!BEGUN.has(pending)) {
      throw new InvalidArgumentError('a pending checkpoint must come from begin(); commit() was given another object');
    }
    if (this.#committed.has(pending)) {
      throw new InvalidArgumentError(
        `pending checkpoint for task "${pending.taskId}" step "${pending.step}" was already committed`,
      );
    }
  }

  /** Stored evidence that is not even JSON fails verification with the reason, as an item that cannot be checked does. */
  #verifyStored(evidenceJson: string): VerificationResult {
    let pack: EvidencePack;
    try {
      pack = JSON.parse(evidenceJson) as EvidencePack;
    } catch (error) {
      return unreadableEvidence(`stored evidence is not valid JSON: ${(error as Error).message}`);
    }
    return this.verifier.verify(pack);
  }

  #countVerification(result: VerificationResult): void {
    this.metrics.increment('verifications');
    if (!result.ok) this.metrics.increment('verificationFailures');
  }
}

export function fromRow<S>(row: CheckpointRow): Checkpoint<S> {
  return {
    id: row.id,
    taskId: row.task_id,
    seq: row.seq,
    step: row.step,
    state: JSON.parse(row.state) as S,
    evidence: row.evidence ? parsedOrNull(row.evidence) : null,
    verified: row.verified === 1 || row.verified === true,
    verification: row.verification ? (JSON.parse(row.verification) as VerificationResult) : null,
    createdAt: row.created_at,
    verifiedAt: row.verified_at,
  };
}

/** Stored evidence, or null when its text is not JSON: reading a checkpoint never fails for its evidence alone. */
function parsedOrNull(evidenceJson: string): EvidencePack | null {
  try {
    return JSON.parse(evidenceJson) as EvidencePack;
  } catch {
    return null;
  }
}
