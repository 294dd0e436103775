import type { AnyEvent, HistoryEntry } from './workers/protocol.js';
import { wallTimeMs } from './time.js';

/** The append-only record of one run: every worker event and harness action, in the order the harness saw them. */
export class History {
  readonly #entries: HistoryEntry[] = [];
  readonly #groupOf = new Map<string, string>();

  readonly #now: () => number;

  /** `now` stamps each entry (wall-clock ms); tests pass a clock they set. */
  constructor(now: () => number = wallTimeMs) {
    this.#now = now;
  }

  /** Remembers which group a worker id belongs to, so matches can name either. */
  registerWorker(id: string, group: string): void {
    this.#groupOf.set(id, group);
  }

  groupOf(workerId: string): string | undefined {
    return this.#groupOf.get(workerId);
  }

  append(worker: string, event: AnyEvent): HistoryEntry {
    const entry = { ...event, t: this.#now(), worker } as HistoryEntry;
    this.#entries.push(entry);
    return entry;
  }

  get entries(): readonly HistoryEntry[] {
    return this.#entries;
  }

  /** True when the entry comes from `who`: a worker id, a group name, or 'harness'. */
  isFrom(entry: HistoryEntry, who: string | undefined): boolean {
    return who === undefined || entry.worker === who || this.#groupOf.get(entry.worker) === who;
  }

  /** Entries of a kind, optionally from one worker or group and with some fields equal to given values. */
  select<K extends HistoryEntry['kind']>(
    kind: K,
    options: { worker?: string | undefined; where?: Record<string, unknown> | undefined } = {},
  ): Extract<HistoryEntry, { kind: K }>[] {
    return this.#entries.filter(
      (e): e is Extract<HistoryEntry, { kind: K }> =>
        e.kind === kind && this.isFrom(e, options.worker) && matchesWhere(e, options.where),
    );
  }

  toJsonl(): string {
    return this.#entries.map((e) => JSON.stringify(e)).join('\n') + (this.#entries.length > 0 ? '\n' : '');
  }
}

export function matchesWhere(entry: object, where: Record<string, unknown> | undefined): boolean {
  if (!where) return true;
  return Object.entries(where).every(([k, v]) => (entry as Record<string, unknown>)[k] === v);
}
