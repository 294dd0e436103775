import type { EvidencePack, VerificationResult } from '../evidence.js';
import { serializeJson } from '../json-state.js';
import { InvalidArgumentError } from '../validate.js';

/**
 * Evidence attached by running tasks, held until the task's writes are saved (and verified then). Keyed by thread
 * and task id: LangGraph's task ids are unique per thread.
 */
export class PendingEvidence {
  readonly #byTask = new Map<string, EvidencePack>();

  /** Adds a pack's items to what the task attached before. */
  attach(threadId: string, taskId: string, pack: EvidencePack): void {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a caller may be untyped JavaScript
    if (typeof pack !== 'object' || pack === null || !Array.isArray(pack.items)) {
      throw new InvalidArgumentError(
        `attachEvidence: the pack must be an object { items: [...] } (see evidence.pack()), got ${JSON.stringify(pack)}`,
      );
    }
    serializeJson(pack, `evidence of task "${taskId}"`);
    const key = keyOf(threadId, taskId);
    const earlier = this.#byTask.get(key);
    this.#byTask.set(key, { items: [...(earlier?.items ?? []), ...pack.items] });
  }

  /** The task's evidence, removed: it is verified once, with the writes it backs. */
  take(threadId: string, taskId: string): EvidencePack | undefined {
    const key = keyOf(threadId, taskId);
    const pack = this.#byTask.get(key);
    this.#byTask.delete(key);
    return pack;
  }
}

function keyOf(threadId: string, taskId: string): string {
  return `${threadId}\u0000${taskId}`;
}

/** The evidence of several tasks as one pack, with their verifications merged (items renumbered in order). */
export function combineEvidence(
  rows: readonly { evidence: string; verification: string }[],
): { evidence: EvidencePack; verification: VerificationResult } | null {
  if (rows.length === 0) return null;
  const evidence: EvidencePack = { items: [] };
  const verification: VerificationResult = { ok: true, items: [], failures: [] };
  for (const row of rows) {
    const offset = evidence.items.length;
    const pack = JSON.parse(row.evidence) as EvidencePack;
    const result = JSON.parse(row.verification) as VerificationResult;
    evidence.items.push(...pack.items);
    verification.items.push(...result.items.map((item) => ({ ...item, index: item.index + offset })));
    verification.failures.push(...result.failures.map((item) => ({ ...item, index: item.index + offset })));
    verification.ok &&= result.ok;
  }
  return { evidence, verification };
}

/**
 * Checkpoints a run may not build on. LangGraph does not wait for putWrites before it puts the next checkpoint, so
 * refusing a task's writes alone would let the next checkpoint record the task's effect anyway: while a task's writes
 * at a checkpoint stand refused, a put whose parent is that checkpoint is refused too, and so is everything a run
 * builds on a refused checkpoint. A rerun of the task whose writes then verify lifts the refusal.
 */
export class RefusedCheckpoints {
  /** thread, namespace, checkpoint → the refused task ids ('*': the checkpoint itself), each with its error. */
  readonly #byCheckpoint = new Map<string, Map<string, Error>>();

  /** The error to refuse a task's writes at a checkpoint with: set when the checkpoint itself was refused. */
  writesRefusal(threadId: string, ns: string, checkpointId: string): Error | undefined {
    if (this.#byCheckpoint.size === 0) return undefined;
    return this.#byCheckpoint.get(keyOf3(threadId, ns, checkpointId))?.get('*');
  }

  refuseWrites(threadId: string, ns: string, checkpointId: string, taskId: string, error: Error): void {
    const key = keyOf3(threadId, ns, checkpointId);
    const refused = this.#byCheckpoint.get(key) ?? new Map<string, Error>();
    refused.set(taskId, error);
    this.#byCheckpoint.set(key, refused);
  }

  /** The task's writes at the checkpoint were saved: they no longer stand in the way of its child. */
  acceptWrites(threadId: string, ns: string, checkpointId: string, taskId: string): void {
    if (this.#byCheckpoint.size === 0) return;
    const key = keyOf3(threadId, ns, checkpointId);
    const refused = this.#byCheckpoint.get(key);
    if (!refused?.delete(taskId)) return;
    if (refused.size === 0) this.#byCheckpoint.delete(key);
  }

  /** The error to refuse a checkpoint with because of its parent; the checkpoint is then refused in turn. */
  checkpointRefusal(
    threadId: string,
    ns: string,
    parentId: string | undefined,
    checkpointId: string,
  ): Error | undefined {
    if (parentId === undefined || this.#byCheckpoint.size === 0) return undefined;
    const error = this.#byCheckpoint
      .get(keyOf3(threadId, ns, parentId))
      ?.values()
      .next().value;
    if (error) this.#byCheckpoint.set(keyOf3(threadId, ns, checkpointId), new Map([['*', error]]));
    return error;
  }

  forgetThread(threadId: string): void {
    for (const key of this.#byCheckpoint.keys())
      if (key.startsWith(`${threadId}\u0000`)) this.#byCheckpoint.delete(key);
  }
}

function keyOf3(threadId: string, ns: string, checkpointId: string): string {
  return `${threadId}\u0000${ns}\u0000${checkpointId}`;
}
