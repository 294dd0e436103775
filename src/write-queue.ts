import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { MAX_MESSAGE_BYTES, isAlive, processDoorbell, ring, type Doorbell } from './doorbell.js';

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

/** One line of the request log. Key, pid and doorbell come first so a head can be read from a short prefix. */
interface RequestLine {
  k: string;
  p: number;
  b: string;
  /** Deadline (system-wide monotonic ms): after it no other process starts this request. */
  d: number;
  /** A named write op, or null for a turn only the owner can take (a transaction closure). */
  o: string | null;
  a?: unknown;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
interface OwnRequest {
  key: string;
  line: RequestLine;
  run: () => unknown;
  /** Whether its line is in the log (else it has not waited yet, and runs after everything queued). */
  queued: boolean;
}

const BUSY = Symbol('BUSY');
const NOT_SERVED = Symbol('NOT_SERVED');
const WITHDRAWN = -1;
const MAX_BATCH_BYTES = 4 << 20;
const HEAD_PREFIX_BYTES = 512;

/** Milliseconds on CLOCK_MONOTONIC, which every process on the machine shares. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * The time part of a request key: microseconds of the monotonic clock, zero-padded so that keys sort by time
 * (results are then appended at the end of their table, and purged from its start).
 */
function timeKey(ms: number): string {
  return Math.max(0, Math.floor(ms * 1000)).toString().padStart(16, '0');
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS write_queue_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1), inode INTEGER NOT NULL, offset INTEGER NOT NULL, head_since REAL);
  CREATE TABLE IF NOT EXISTS write_queue_outcomes (
    key TEXT PRIMARY KEY, outcome INTEGER NOT NULL, value TEXT) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS write_queue_outcomes_withdrawn ON write_queue_outcomes (key) WHERE outcome = -1;`;

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
 * Fast: one commit serves a whole batch, so throughput grows with contention instead of collapsing.
 * Kill-safe: a dead or expired request is skipped; a live head that leaves its turn untaken for headPatienceMs is
 * passed (it runs its write itself when it gets the lock); every waiter re-checks on its own every livenessCheckMs.
 */
export class WriteQueue {
  readonly #sqlite: Database.Database;
  readonly #ops: ReadonlyMap<string, WriteOp>;
  readonly #logPath: string;
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
  #fd: number;
  readonly #savepoint: (fn: () => unknown) => unknown;
  readonly #stmt: Record<'begin' | 'commit' | 'rollback' | 'cursor' | 'setCursor' | 'result' | 'record' | 'purge' | 'withdrawn', Database.Statement>;

  constructor(sqlite: Database.Database, dbPath: string, ops: ReadonlyMap<string, WriteOp>, options: WriteQueueOptions = {}) {
    this.#sqlite = sqlite;
    this.#ops = ops;
    this.#dbPath = dbPath;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#livenessCheckMs = options.livenessCheckMs ?? 100;
    this.#headPatienceMs = options.headPatienceMs ?? 2000;
    this.#rotateBytes = options.rotateBytes ?? 16 << 20;
    this.#outcomeRetentionMs = options.outcomeRetentionMs ?? 3 * this.#timeoutMs + 60_000;
    const dir = `${dbPath}-admission`;
    mkdirSync(dir, { recursive: true });
    this.#logPath = join(dir, 'requests.log');
    this.#fd = openSync(this.#logPath, 'a+');
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
      result: sqlite.prepare('SELECT outcome, value FROM write_queue_outcomes WHERE key = ?'),
      record: sqlite.prepare('INSERT OR REPLACE INTO write_queue_outcomes (key, outcome, value) VALUES (?, ?, ?)'),
      // Keys begin with the time they were made, so old results are a range at the start of the table.
      purge: sqlite.prepare('DELETE FROM write_queue_outcomes WHERE key < ? OR key > ?'),
      withdrawn: sqlite.prepare('SELECT key FROM write_queue_outcomes WHERE outcome = -1').pluck(),
    };
    this.#bell = processDoorbell();
  }

  /** False until this process's doorbell listens; writers use short retries meanwhile. */
  get ready(): boolean {
    return this.#bell.ready && this.#sqlite.open;
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
      this.#append(own.line);
      own.queued = true;
      outcome = this.#serve(own);
    }
    // Had to wait: the next write queues first. Served at once: contention is over.
    this.#contended = outcome === BUSY || outcome === NOT_SERVED;
    for (let pause = 0.02, timedOut = false; ; ) {
      if (outcome !== BUSY && outcome !== NOT_SERVED) return settle(outcome);
      let waitMs = this.#livenessCheckMs;
      // Not handed the turn in time, at the head, and the lock is taken: a writer outside the queue holds it (a
      // writer in the queue would hand over). Retry soon.
      if (outcome === BUSY && timedOut && this.#isHead(key)) {
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
        const stored = this.#stored(key);
        if (stored) return settle(stored);
      }
      // Woken: this request is at the head now, or the liveness re-check is due. (If another head served it
      // meanwhile, #serve finds its stored outcome.)
      outcome = this.#serve(own);
    }
  }

  close(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // Closed already.
    }
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
      if (this.#batches % 64 === 63 || this.#lost) this.#reopenIfReplaced();
      const cursor = this.#cursor();
      const size = cursor.size;
      const chunk = this.#read(cursor.offset, Math.min(size - cursor.offset, MAX_BATCH_BYTES), size);
      const now = monotonicMs();
      // Requests their owners settled themselves (few: after a failed batch or a timeout), skipped below.
      const withdrawn = chunk.length > 0 ? new Set(this.#stmt.withdrawn.all() as string[]) : undefined;
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
          const message = `${line.k}\t${this.#record(line.k, this.#run(() => op(line.a)))}\n`;
          served.push({ fifo: line.b, message: Buffer.byteLength(message) <= MAX_MESSAGE_BYTES ? message : '\n' });
          continue;
        }
        // A turn only its owner can take: wait for it, unless the owner died or has left it untaken too long.
        if (!isAlive(line.p)) continue;
        const sameHead = cursor.offset + pos === cursor.stored?.offset && cursor.stored.headSince !== null;
        if (sameHead && now - cursor.stored!.headSince! > this.#headPatienceMs) continue;
        stop = line;
        break;
      }
      nextOffset = cursor.offset + pos;
      const servedAll = !stop && cursor.offset + chunk.length === size;
      if (!ownOutcome && servedAll) {
        if (!own.queued) ownOutcome = this.#run(own.run);
        // Queued but not in the log: it was emptied after a rotation or replaced — or another head served it since
        // we last looked, and then its stored outcome is ours. Otherwise run it here, once.
        else if (!ownSeen) ownOutcome = this.#stored(own.key);
        this.#lost = own.queued && !ownSeen && !ownOutcome;
        if (!ownOutcome) {
          ownOutcome = this.#run(own.run);
          this.#record(own.key, undefined);
        }
      }
      if (!ownOutcome && !own.queued) {
        this.#append(own.line);
        own.queued = true;
      }
      const headSince = !stop ? null : nextOffset === cursor.stored?.offset && cursor.stored.headSince !== null ? cursor.stored.headSince : now;
      if (servedAll && nextOffset === size && size >= this.#rotateBytes) {
        ftruncateSync(this.#fd, 0);
        nextOffset = 0;
      }
      // Results are read within a timeout of being stored; older ones (or ones from before a reboot) go.
      if (++this.#batches % 64 === 0) this.#stmt.purge.run(timeKey(now - this.#outcomeRetentionMs), timeKey(now + 3_600_000));
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
    const head = stop ?? this.#lineAt(nextOffset, HEAD_PREFIX_BYTES);
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
      let outcome = this.#stored(own.key);
      if (!outcome) {
        outcome = this.#run(own.run);
        this.#record(own.key, undefined);
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
      this.#record(key, undefined);
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

  /**
   * Stores an outcome for its owner to read; undefined marks a request its owner settled itself (not to be run).
   * Returns the stored row as "<outcome>\t<value>", which is also what the owner is sent.
   */
  #record(key: string, outcome: Outcome | undefined): string {
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
    this.#stmt.record.run(key, code, value);
    return `${code}\t${value ?? 'null'}`;
  }

  /** The stored outcome of a request, if another process served it. */
  #stored(key: string): Outcome | undefined {
    const row = this.#stmt.result.get(key) as { outcome: number; value: string | null } | undefined;
    if (!row || row.outcome === WITHDRAWN) return undefined;
    return decodeOutcome(row.outcome, row.value ?? 'null');
  }

  /** The stored log position, reset to the start when the log file was replaced or emptied. */
  #cursor(): { inode: number; size: number; offset: number; stored: { offset: number; headSince: number | null } | undefined } {
    const { ino: inode, size } = fstatSync(this.#fd);
    const row = this.#stmt.cursor.get() as { inode: number; offset: number; headSince: number | null } | undefined;
    const valid = row !== undefined && row.inode === inode && row.offset <= size;
    return { inode, size, offset: valid ? row.offset : 0, stored: valid ? row : undefined };
  }

  #isHead(key: string): boolean {
    try {
      const head = this.#lineAt(this.#cursor().offset, HEAD_PREFIX_BYTES);
      return head?.k === key;
    } catch {
      return true;
    }
  }

  /** The key, pid and doorbell of the line starting at `offset`, from a short prefix of it. */
  #lineAt(offset: number, bytes: number): Pick<RequestLine, 'k' | 'p' | 'b'> | undefined {
    const prefix = this.#read(offset, bytes, Infinity).toString('utf8');
    const match = /^\{"k":("[^"]*"),"p":(\d+),"b":("(?:[^"\\]|\\.)*")/.exec(prefix);
    if (!match) return undefined;
    return { k: JSON.parse(match[1]!) as string, p: Number(match[2]), b: JSON.parse(match[3]!) as string };
  }

  #read(offset: number, length: number, size: number): Buffer {
    const buffer = Buffer.allocUnsafe(Math.max(0, length));
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(this.#fd, buffer, filled, buffer.length - filled, offset + filled);
      if (n === 0) break;
      filled += n;
    }
    const chunk = buffer.subarray(0, filled);
    // A single line longer than the batch limit: read on to its end.
    if (filled === MAX_BATCH_BYTES && chunk.indexOf(10) < 0 && offset + filled < size) {
      return Buffer.concat([chunk, this.#read(offset + filled, Math.min(size - offset - filled, MAX_BATCH_BYTES), size)]);
    }
    return chunk;
  }

  #append(line: RequestLine): void {
    const text = `${JSON.stringify(line)}\n`;
    // One write() of an O_APPEND file lands whole at the end; a short write is finished off (and then fails to parse).
    const written = writeSync(this.#fd, text);
    if (written < Buffer.byteLength(text)) {
      const bytes = Buffer.from(text);
      for (let done = written; done < bytes.length; ) done += writeSync(this.#fd, bytes, done);
    }
  }

  /** The log was removed or replaced (e.g. by hand): append to the file at the path, not the orphan. */
  #reopenIfReplaced(): void {
    let current: number | undefined;
    try {
      current = statSync(this.#logPath).ino;
    } catch {
      current = undefined;
    }
    if (current !== undefined && current === fstatSync(this.#fd).ino) return;
    const fd = openSync(this.#logPath, 'a+');
    closeSync(this.#fd);
    this.#fd = fd;
  }
}

function decodeOutcome(code: number, json: string): Outcome {
  const value: unknown = JSON.parse(json);
  if (code === 1) return { ok: true, value };
  const fields = value as { name?: string; message?: string; code?: unknown };
  return { ok: false, error: Object.assign(new Error(fields.message ?? 'write failed'), { name: fields.name ?? 'Error', code: fields.code }) };
}

/** The outcome sent for `key` among doorbell messages ("<key>\t<outcome>\t<value>"), if there is one. */
function outcomeIn(messages: readonly string[], key: string): Outcome | undefined {
  for (const message of messages) {
    const [k, code, json] = message.split('\t', 3);
    if (k === key && code !== undefined && json !== undefined && Number(code) !== WITHDRAWN) return decodeOutcome(Number(code), json);
  }
  return undefined;
}

function settle(outcome: Outcome): unknown {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

function parseLine(chunk: Buffer, start: number, end: number): RequestLine | undefined {
  try {
    const line = JSON.parse(chunk.toString('utf8', start, end)) as Partial<RequestLine>;
    const valid = typeof line.k === 'string' && typeof line.p === 'number' && typeof line.b === 'string'
      && typeof line.d === 'number' && (line.o === null || typeof line.o === 'string');
    return valid ? (line as RequestLine) : undefined;
  } catch {
    return undefined;
  }
}

function errorFields(error: unknown): { name: string; message: string; code?: unknown } {
  if (error instanceof Error) return { name: error.name, message: error.message, code: (error as { code?: unknown }).code };
  return { name: 'Error', message: String(error) };
}
