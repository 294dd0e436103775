import type Database from 'better-sqlite3';
import { MAX_MESSAGE_BYTES, isAlive, processDoorbell, ring, type Doorbell } from './doorbell.js';
import { MAX_BATCH_BYTES, RequestLog, parseLine, type RequestLine } from './request-log.js';
import { OUTCOMES_SCHEMA, WriteOutcomes, outcomeIn, settle, timeKey, type Outcome } from './write-outcomes.js';

/** A write that any process can run on another's behalf: JSON parameters in, a JSON result out. */
export type WriteOp = (params: unknown) => unknown;

export interface WriteQueueOptions {
  /** Longest wait for a turn; after it the writer takes the lock like the busy handler would (default 60 s). */
  timeoutMs?: number;
  /** How often a waiter re-checks on its own, in case the writer ahead died without handing over (default 100 ms). */
  livenessCheckMs?: number;
  /** How long a live writer at the head may leave its turn untaken before the others go past it (default 2 s). */
  headPatienceMs?: number;
  /** The request log is emptied once everything in it is served and it has grown past this size (default 16 MiB). */
  rotateBytes?: number;
  /** How long a stored outcome is kept for its writer to read (default 3 × timeoutMs + 60 s). */
  outcomeRetentionMs?: number;
}

/** The write lock could not be had within the timeout; `code` matches SQLite's so callers handle both the same. */
export class AdmissionTimeoutError extends Error {
  override name = 'AdmissionTimeoutError';
  readonly code = 'SQLITE_BUSY';
}

interface OwnRequest {
  key: string;
  line: RequestLine;
  run: () => unknown;
  /** Whether its line is in the log (else it has not waited yet, and runs after everything queued). */
  queued: boolean;
}

const BUSY = Symbol('BUSY');
const NOT_SERVED = Symbol('NOT_SERVED');

/** Milliseconds on CLOCK_MONOTONIC, which every process on the machine shares. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS write_queue_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1), inode INTEGER NOT NULL, offset INTEGER NOT NULL, head_since REAL);
  ${OUTCOMES_SCHEMA}`;

/**
 * Fair, batched write admission for writers in several processes: a FIFO of requests served by group commit.
 *
 * A writer appends its request as one line to an append-only log beside the database (one O_APPEND write, no lock),
 * then the writer at the head of the log takes SQLite's write lock and serves the log in order in one transaction:
 * named write ops of any process are run on their owners' behalf (each in a savepoint, its result stored for the
 * owner to read), until it reaches a turn only its owner can take (a transaction closure). The log position is
 * stored in the same transaction, so every request runs exactly once, and a crash mid-batch serves nothing.
 * Served writers and the next head are woken through their doorbells (named pipes).
 *
 * Fair: requests are served in arrival order, and a request waits at most for the batch in progress and its own.
 * Cost: one commit serves a whole batch, but every queued writer pays an append, a failed lock attempt and a wake-up
 * through the scheduler, so its throughput stays below the (unfair) busy handler's on a small, busy machine.
 * Kill-safe: a dead or expired request is skipped; a live head that leaves its turn untaken for headPatienceMs is
 * passed (it runs its write itself when it gets the lock); every waiter re-checks on its own every livenessCheckMs.
 */
export class WriteQueue {
  readonly #sqlite: Database.Database;
  readonly #ops: ReadonlyMap<string, WriteOp>;
  readonly #log: RequestLog;
  readonly #outcomes: WriteOutcomes;
  readonly #dbPath: string;
  readonly #bell: Doorbell;
  readonly #timeoutMs: number;
  readonly #livenessCheckMs: number;
  readonly #headPatienceMs: number;
  readonly #rotateBytes: number;
  readonly #outcomeRetentionMs: number;
  readonly #keySuffix = `.${process.pid}.${Math.random().toString(36).slice(2, 8)}.`;
  #keySeq = 0;
  /** The last write had to queue: the next one queues first instead of trying the lock in vain. */
  #contended = false;
  /** Our own queued line was not in the log last time: check whether the log file was replaced. */
  #lost = false;
  #batches = 0;
  readonly #savepoint: (fn: () => unknown) => unknown;
  readonly #stmt: Record<'begin' | 'commit' | 'rollback' | 'cursor' | 'setCursor', Database.Statement>;

  constructor(sqlite: Database.Database, dbPath: string, ops: ReadonlyMap<string, WriteOp>, options: WriteQueueOptions = {}) {
    this.#sqlite = sqlite;
    this.#ops = ops;
    this.#dbPath = dbPath;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#livenessCheckMs = options.livenessCheckMs ?? 100;
    this.#headPatienceMs = options.headPatienceMs ?? 2000;
    this.#rotateBytes = options.rotateBytes ?? 16 << 20;
    this.#outcomeRetentionMs = options.outcomeRetentionMs ?? 3 * this.#timeoutMs + 60_000;
    this.#log = new RequestLog(dbPath);
    const exists = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE name = 'write_queue_outcomes_withdrawn'").get();
    if (!exists) sqlite.transaction(() => sqlite.exec(SCHEMA)).immediate();
    this.#savepoint = sqlite.transaction((fn: () => unknown) => fn());
    this.#stmt = {
      begin: sqlite.prepare('BEGIN IMMEDIATE'),
      commit: sqlite.prepare('COMMIT'),
      rollback: sqlite.prepare('ROLLBACK'),
      cursor: sqlite.prepare('SELECT inode, offset, head_since AS headSince FROM write_queue_cursor WHERE id = 1'),
      setCursor: sqlite.prepare(`INSERT INTO write_queue_cursor (id, inode, offset, head_since) VALUES (1, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET inode = excluded.inode, offset = excluded.offset, head_since = excluded.head_since`),
    };
    this.#outcomes = new WriteOutcomes(sqlite);
    this.#bell = processDoorbell();
  }

  /** Settles when this process's doorbell listens. */
  get listening(): Promise<void> {
    return this.#bell.listening;
  }

  /** Transactions committed by this process as the head of the queue (each serving one batch). */
  get batches(): number {
    return this.#batches;
  }

  /**
   * Queues a write and returns its result once it has committed. `op` names a registered write op that any process
   * may run with `params`; null makes it a turn only this process can take. `run` is what this process runs if the
   * turn falls to it. An error thrown by the write rolls back only that write and is rethrown here.
   */
  submit(op: string | null, params: unknown, run: () => unknown): unknown {
    const bell = this.#bell;
    const key = `${timeKey(monotonicMs())}${this.#keySuffix}${++this.#keySeq}`;
    const deadline = monotonicMs() + this.#timeoutMs;
    const own: OwnRequest = { key, run, queued: false, line: { k: key, p: process.pid, b: bell.fifo, d: deadline, o: op, a: params } };
    // Lock free: serve whatever is queued, then this write, in one transaction. Taken: queue, then try once more,
    // so that a holder finishing meanwhile either is seen releasing or sees our line when it hands over.
    // (Under steady contention the first try is skipped: it would only fail.)
    let outcome: Outcome | typeof BUSY | typeof NOT_SERVED = this.#contended ? BUSY : this.#serve(own);
    if (outcome === BUSY) {
      this.#log.append(own.line);
      own.queued = true;
      outcome = this.#serve(own);
    }
    // Had to wait: the next write queues first. Served at once: contention is over.
    this.#contended = outcome === BUSY || outcome === NOT_SERVED;
    for (let pause = 0.02, timedOut = false; ; ) {
      if (outcome !== BUSY && outcome !== NOT_SERVED) return settle(outcome);
      let waitMs = this.#livenessCheckMs;
      // Retry soon when no ring can come: the doorbell does not listen yet (it starts a moment after open), or, not
      // handed the turn in time, we are at the head and the lock is taken by a writer outside the queue (a writer in
      // the queue would hand over).
      if (!bell.ready || (outcome === BUSY && timedOut && this.#isHead(key))) {
        waitMs = pause;
        pause = Math.min(pause * 2, 2);
      }
      if (monotonicMs() > deadline) return settle(this.#giveUp(own));
      const waited = monotonicMs();
      const messages = waitMs < this.#livenessCheckMs ? (bell.pause(waitMs), []) : bell.wait(waitMs);
      timedOut = monotonicMs() - waited >= waitMs;
      // The head that served this request sends its outcome along with the ring (it is also stored).
      const delivered = outcomeIn(messages, key);
      if (delivered) return settle(delivered);
      if (timedOut) {
        const stored = this.#outcomes.get(key);
        if (stored) return settle(stored);
      }
      // Woken: this request is at the head now, or the liveness re-check is due. (If another head served it
      // meanwhile, #serve finds its stored outcome.)
      outcome = this.#serve(own);
    }
  }

  close(): void {
    this.#log.close();
  }

  /**
   * One batch: with the lock taken, serve the log in order within one transaction, and this process's own write in
   * its place (at the end if it is not queued). BUSY if another writer holds the lock; NOT_SERVED if the batch
   * stopped at a turn only another live process can take (the own write is then queued, if it was not).
   */
  #serve(own: OwnRequest): Outcome | typeof BUSY | typeof NOT_SERVED {
    if (!this.#tryBegin()) return BUSY;
    let ownOutcome: Outcome | undefined;
    const served: { fifo: string; message: string }[] = [];
    let stop: RequestLine | undefined;
    let nextOffset: number;
    try {
      // The log replaced by hand is noticed within 64 batches, and at once when our own line has gone missing.
      if (this.#batches % 64 === 63 || this.#lost) this.#log.reopenIfReplaced();
      const cursor = this.#cursor();
      const size = cursor.size;
      const chunk = this.#log.read(cursor.offset, Math.min(size - cursor.offset, MAX_BATCH_BYTES), size);
      const now = monotonicMs();
      // Requests their owners settled themselves (few: after a failed batch or a timeout), skipped below.
      const withdrawn = chunk.length > 0 ? this.#outcomes.withdrawnKeys() : undefined;
      let pos = 0;
      let ownSeen = false;
      for (let nl = chunk.indexOf(10); nl >= 0; pos = nl + 1, nl = chunk.indexOf(10, pos)) {
        const line = parseLine(chunk, pos, nl);
        if (!line) continue;
        if (line.k === own.key) {
          ownSeen = true;
          ownOutcome = this.#run(own.run);
          continue;
        }
        if (line.d < now || withdrawn?.has(line.k)) continue;
        const op = line.o === null ? undefined : this.#ops.get(line.o);
        if (op) {
          const message = `${line.k}\t${this.#outcomes.record(line.k, this.#run(() => op(line.a)))}\n`;
          served.push({ fifo: line.b, message: Buffer.byteLength(message) <= MAX_MESSAGE_BYTES ? message : '\n' });
          continue;
        }
        // A turn only its owner can take: wait for it, unless the owner died or has left it untaken too long.
        if (!isAlive(line.p)) continue;
        if (cursor.offset + pos === cursor.stored?.offset && now - (cursor.stored.headSince ?? now) > this.#headPatienceMs) continue;
        stop = line;
        break;
      }
      nextOffset = cursor.offset + pos;
      // When the batch stops at the same head as last time, that head has been waiting since then.
      const headSince = stop ? (nextOffset === cursor.stored?.offset ? (cursor.stored.headSince ?? now) : now) : null;
      const servedAll = !stop && cursor.offset + chunk.length === size;
      if (!ownOutcome && servedAll) {
        if (!own.queued) ownOutcome = this.#run(own.run);
        // Queued but not in the log: it was emptied after a rotation or replaced — or another head served it since
        // we last looked, and then its stored outcome is ours. Otherwise run it here, once.
        else if (!ownSeen) ownOutcome = this.#outcomes.get(own.key);
        this.#lost = own.queued && !ownSeen && !ownOutcome;
        if (!ownOutcome) {
          ownOutcome = this.#run(own.run);
          this.#outcomes.record(own.key, undefined);
        }
      }
      if (!ownOutcome && !own.queued) {
        this.#log.append(own.line);
        own.queued = true;
      }
      if (servedAll && nextOffset === size && size >= this.#rotateBytes) {
        this.#log.truncate();
        nextOffset = 0;
      }
      // Outcomes are read within a timeout of being stored; older ones go.
      if (++this.#batches % 64 === 0) this.#outcomes.purge(now, this.#outcomeRetentionMs);
      if (nextOffset !== cursor.offset || headSince !== (cursor.stored?.headSince ?? null)) {
        this.#stmt.setCursor.run(cursor.inode, nextOffset, headSince);
      }
      this.#stmt.commit.run();
    } catch (error) {
      if (this.#sqlite.inTransaction) this.#stmt.rollback.run();
      if (own.queued) this.#withdraw(own.key);
      throw error;
    }
    // The next head first: the next batch can start while the served writers wake up.
    const head = stop ?? this.#log.headAt(nextOffset);
    if (head && head.b !== this.#bell.fifo) ring(head.b);
    for (const { fifo, message } of served) if (fifo !== this.#bell.fifo) ring(fifo, message);
    return ownOutcome ?? NOT_SERVED;
  }

  /** BEGIN IMMEDIATE without waiting: false if another connection holds the write lock. */
  #tryBegin(): boolean {
    // Failing here is the common case under contention: skip the stack trace a thrown error would capture.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      this.#stmt.begin.run();
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return false;
      throw error;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /** Past the deadline: stop waiting for a turn and take the lock directly, within another timeout. */
  #giveUp(own: OwnRequest): Outcome {
    const until = monotonicMs() + this.#timeoutMs;
    for (let pause = 0.05; !this.#tryBegin(); pause = Math.min(pause * 2, 10)) {
      if (monotonicMs() > until) {
        throw new AdmissionTimeoutError(`database is locked: no write turn on ${this.#dbPath} within ${this.#timeoutMs} ms`);
      }
      this.#bell.pause(pause);
    }
    try {
      let outcome = this.#outcomes.get(own.key);
      if (!outcome) {
        outcome = this.#run(own.run);
        this.#outcomes.record(own.key, undefined);
      }
      this.#stmt.commit.run();
      return outcome;
    } catch (error) {
      if (this.#sqlite.inTransaction) this.#stmt.rollback.run();
      throw error;
    }
  }

  /** Best effort after a failed batch: mark our request as not to be run by anyone else. */
  #withdraw(key: string): void {
    try {
      this.#stmt.begin.run();
      this.#outcomes.record(key, undefined);
      this.#stmt.commit.run();
    } catch {
      if (this.#sqlite.inTransaction) this.#stmt.rollback.run();
    }
  }

  #run(fn: () => unknown): Outcome {
    try {
      return { ok: true, value: this.#savepoint(fn) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** The stored log position, reset to the start when the log file was replaced or emptied. */
  #cursor(): { inode: number; size: number; offset: number; stored: { offset: number; headSince: number | null } | undefined } {
    const { inode, size } = this.#log.stat();
    const row = this.#stmt.cursor.get() as { inode: number; offset: number; headSince: number | null } | undefined;
    const valid = row !== undefined && row.inode === inode && row.offset <= size;
    return { inode, size, offset: valid ? row.offset : 0, stored: valid ? row : undefined };
  }

  #isHead(key: string): boolean {
    try {
      return this.#log.headAt(this.#cursor().offset)?.k === key;
    } catch {
      return true;
    }
  }
}
