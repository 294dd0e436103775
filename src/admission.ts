import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isAlive, processDoorbell, ring, type Doorbell } from './doorbell.js';

export interface FairAdmissionOptions {
  /** How long a waiter sleeps before re-checking that the process ahead of it is alive (default 100 ms). */
  livenessCheckMs?: number;
  /** Longest wait for a turn before giving up with SQLITE_BUSY, like the busy handler's timeout (default 60 s). */
  timeoutMs?: number;
}

/** The write lock could not be had within the timeout; `code` matches SQLite's so callers handle both the same. */
export class AdmissionTimeoutError extends Error {
  override name = 'AdmissionTimeoutError';
  readonly code = 'SQLITE_BUSY';
}

/** Returned by an admission attempt when the write lock was taken. */
export const BUSY: unique symbol = Symbol('BUSY');

interface QueueRow {
  ticket: number;
  pid: number;
  fifo: string;
}

/**
 * FIFO admission to a database's write lock for writers in several processes, used only under contention.
 *
 * SQLite's busy handler makes waiters sleep with growing back-off, so whoever asks last often wins and the tail
 * grows with the number of writers. Here a writer that finds the lock taken takes a ticket in a small side database
 * and waits, blocked, until the writer ahead of it hands off through this process's doorbell (a named pipe).
 * Kill-safe: a waiter re-checks every livenessCheckMs that the process ahead of it is alive, and removes the ticket
 * of a dead one; a killed holder's SQLite lock is released by the kernel.
 */
export class FairAdmission {
  readonly #queue: Database.Database;
  readonly #doorbell: Doorbell;
  readonly #livenessCheckMs: number;
  readonly #timeoutMs: number;
  readonly #path: string;
  readonly #enqueue: Database.Statement;
  readonly #predecessor: Database.Statement;
  readonly #successor: Database.Statement;
  readonly #remove: Database.Statement;
  readonly #anyWaiting: Database.Statement;

  constructor(dbPath: string, options: FairAdmissionOptions = {}) {
    this.#livenessCheckMs = options.livenessCheckMs ?? 100;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#path = dbPath;
    const dir = `${dbPath}-admission`;
    mkdirSync(dir, { recursive: true });
    this.#queue = new Database(join(dir, 'queue.db'), { timeout: 10_000 });
    this.#queue.pragma('journal_mode = WAL');
    // The queue only orders live processes: it need not survive a power cut.
    this.#queue.pragma('synchronous = OFF');
    this.#queue.exec(`CREATE TABLE IF NOT EXISTS queue (
      ticket INTEGER PRIMARY KEY AUTOINCREMENT, pid INTEGER NOT NULL, fifo TEXT NOT NULL)`);
    this.#enqueue = this.#queue.prepare('INSERT INTO queue (pid, fifo) VALUES (?, ?) RETURNING ticket').pluck();
    this.#predecessor = this.#queue.prepare('SELECT ticket, pid, fifo FROM queue WHERE ticket < ? ORDER BY ticket DESC LIMIT 1');
    this.#successor = this.#queue.prepare('SELECT ticket, pid, fifo FROM queue WHERE ticket > ? ORDER BY ticket LIMIT 1');
    this.#remove = this.#queue.prepare('DELETE FROM queue WHERE ticket = ?');
    this.#anyWaiting = this.#queue.prepare('SELECT EXISTS (SELECT 1 FROM queue)').pluck();
    this.#doorbell = processDoorbell();
  }

  /** False until this process's doorbell listens; writers use the busy handler meanwhile. */
  get ready(): boolean {
    return this.#doorbell.ready && this.#queue.open;
  }

  /** Settles when this process's doorbell listens. */
  get listening(): Promise<void> {
    return this.#doorbell.listening;
  }

  /** True when writers are queued: a newcomer should queue behind them instead of barging in. */
  get contended(): boolean {
    return this.#anyWaiting.get() === 1;
  }

  /**
   * Queues for the write lock and runs `attempt` when this process is at the head. `attempt` returns BUSY if the
   * lock was still taken (by a writer that did not queue); the head then retries after short pauses.
   */
  admit<T>(attempt: () => T | typeof BUSY): T {
    const bell = this.#doorbell;
    const deadline = performance.now() + this.#timeoutMs;
    const ticket = this.#enqueue.get(process.pid, bell.fifo) as number;
    try {
      for (;;) {
        if (performance.now() > deadline) {
          throw new AdmissionTimeoutError(`database is locked: no write turn on ${this.#path} within ${this.#timeoutMs} ms`);
        }
        const seen = bell.rings;
        const ahead = this.#predecessor.get(ticket) as QueueRow | undefined;
        if (ahead) {
          if (isAlive(ahead.pid)) bell.wait(seen, this.#livenessCheckMs);
          else this.#remove.run(ahead.ticket);
          continue;
        }
        for (let pause = 0.02; performance.now() <= deadline; pause = Math.min(pause * 2, 1)) {
          const result = attempt();
          if (result !== BUSY) return result;
          bell.pause(pause);
        }
      }
    } finally {
      this.#leave(ticket);
    }
  }

  /** Leaves the queue and wakes the next writer. Never throws: the caller's write has already happened (or failed). */
  #leave(ticket: number): void {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        this.#remove.run(ticket);
        break;
      } catch {
        // queue.db busy for longer than its timeout: try again; a ticket left behind is skipped once we exit.
      }
    }
    try {
      const next = this.#successor.get(ticket) as QueueRow | undefined;
      if (next) ring(next.fifo);
    } catch {
      // The next writer re-checks on its own within livenessCheckMs.
    }
  }

  close(): void {
    if (this.#queue.open) this.#queue.close();
  }
}
