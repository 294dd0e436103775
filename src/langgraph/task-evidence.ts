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
    if (typeof pack !== 'object' || pack === null || !Array.isArray(pack.items)) {
      throw new InvalidArgumentError(`attachEvidence: the pack must be an object { items: [...] } (see evidence.pack()), got ${JSON.stringify(pack)}`);
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
export function combineEvidence(rows: readonly { evidence: string; verification: string }[]): { evidence: EvidencePack; verification: VerificationResult } | null {
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
