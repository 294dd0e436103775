import type Database from 'better-sqlite3';

/** What a write ended with: its result, or the error it threw. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Stored for a request its owner settled itself: nobody else may run it. */
const WITHDRAWN = -1;

export const OUTCOMES_SCHEMA = `
  CREATE TABLE IF NOT EXISTS write_queue_outcomes (
    key TEXT PRIMARY KEY, outcome INTEGER NOT NULL, value TEXT) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS write_queue_outcomes_withdrawn ON write_queue_outcomes (key) WHERE outcome = -1;`;

/**
 * The time part of a request key: microseconds of the monotonic clock, zero-padded so that keys sort by time
 * (outcomes are then appended at the end of their table, and purged from its start).
 */
export function timeKey(ms: number): string {
  return Math.max(0, Math.floor(ms * 1000)).toString().padStart(16, '0');
}

/**
 * Outcomes of writes one process ran on another's behalf, stored in the same transaction as the writes, for their
 * owners to read if the copy sent through their doorbell did not reach them.
 */
export class WriteOutcomes {
  readonly #record: Database.Statement;
  readonly #get: Database.Statement;
  readonly #purge: Database.Statement;
  readonly #withdrawn: Database.Statement;

  /** Prepares its statements; the table must exist (OUTCOMES_SCHEMA). */
  constructor(sqlite: Database.Database) {
    this.#record = sqlite.prepare('INSERT OR REPLACE INTO write_queue_outcomes (key, outcome, value) VALUES (?, ?, ?)');
    this.#get = sqlite.prepare('SELECT outcome, value FROM write_queue_outcomes WHERE key = ?');
    this.#purge = sqlite.prepare('DELETE FROM write_queue_outcomes WHERE key < ? OR key > ?');
    this.#withdrawn = sqlite.prepare('SELECT key FROM write_queue_outcomes WHERE outcome = -1').pluck();
  }

  /**
   * Stores an outcome; undefined marks a request its owner settled itself (not to be run by anyone else).
   * Returns the stored row as "<outcome>\t<value>", which is also what the owner is sent.
   */
  record(key: string, outcome: Outcome | undefined): string {
    let code = WITHDRAWN;
    let value: string | null = null;
    if (outcome) {
      try {
        value = JSON.stringify(outcome.ok ? (outcome.value ?? null) : errorFields(outcome.error));
        code = outcome.ok ? 1 : 0;
      } catch (error) {
        value = JSON.stringify(errorFields(error));
        code = 0;
      }
    }
    this.#record.run(key, code, value);
    return `${code}\t${value ?? 'null'}`;
  }

  /** The stored outcome of a request another process served, if any. */
  get(key: string): Outcome | undefined {
    const row = this.#get.get(key) as { outcome: number; value: string | null } | undefined;
    if (!row || row.outcome === WITHDRAWN) return undefined;
    return decodeOutcome(row.outcome, row.value ?? 'null');
  }

  /** Keys of requests their owners settled themselves (few: after a failed batch or a timeout). */
  withdrawnKeys(): Set<string> {
    return new Set(this.#withdrawn.all() as string[]);
  }

  /** Deletes outcomes older than `retentionMs`, and any from before a reboot (keys from the monotonic clock's future). */
  purge(nowMs: number, retentionMs: number): void {
    this.#purge.run(timeKey(nowMs - retentionMs), timeKey(nowMs + 3_600_000));
  }
}

/** The outcome sent for `key` among doorbell messages ("<key>\t<outcome>\t<value>"), if there is one. */
export function outcomeIn(messages: readonly string[], key: string): Outcome | undefined {
  for (const message of messages) {
    const [k, code, json] = message.split('\t', 3);
    if (k === key && code !== undefined && json !== undefined && Number(code) !== WITHDRAWN) return decodeOutcome(Number(code), json);
  }
  return undefined;
}

/** The outcome's value, or its error thrown. */
export function settle(outcome: Outcome): unknown {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

function decodeOutcome(code: number, json: string): Outcome {
  const value: unknown = JSON.parse(json);
  if (code === 1) return { ok: true, value };
  const fields = value as { name?: string; message?: string; code?: unknown };
  return { ok: false, error: Object.assign(new Error(fields.message ?? 'write failed'), { name: fields.name ?? 'Error', code: fields.code }) };
}

function errorFields(error: unknown): { name: string; message: string; code?: unknown } {
  if (error instanceof Error) return { name: error.name, message: error.message, code: (error as { code?: unknown }).code };
  return { name: 'Error', message: String(error) };
}
