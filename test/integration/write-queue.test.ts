import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, closeSync, constants, openSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { History } from '../../harness/history.js';
import { builtPath } from '../../harness/workers/build.js';
import { CheckpointManager, openDatabase } from '../../src/index.js';
import { AdmissionTimeoutError, WriteQueue, monotonicMs, type WriteOp } from '../../src/write-queue.js';
import { useTempDir } from '../helpers/temp-db.js';
import { until } from '../helpers/until.js';
import { useWorkers } from '../helpers/workers.js';

/** A queue on a fresh database with one op, 'note', that appends its text to a table (or throws on "boom"). */
async function openQueue(dir: string, options: ConstructorParameters<typeof WriteQueue>[3] = {}) {
  const path = join(dir, 'q.db');
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
  const insert = sqlite.prepare('INSERT INTO notes (text) VALUES (?) RETURNING id');
  const ops = new Map<string, WriteOp>([
    ['note', (params) => {
      const text = (params as { text: string }).text;
      if (text === 'boom') throw new RangeError('boom refused');
      return insert.get(text);
    }],
  ]);
  const queue = new WriteQueue(sqlite, path, ops, { livenessCheckMs: 20, ...options });
  sqlite.pragma('busy_timeout = 0');
  await queue.listening;
  const notes = () => (sqlite.prepare('SELECT text FROM notes ORDER BY id').pluck().all() as string[]);
  const note = (text: string) => queue.submit('note', { text }, () => ops.get('note')!({ text }));
  /** Appends a request as another process would: `pid` its owner, `o` its op (null: a turn only it can take). */
  const queueForeign = (key: string, fields: { p?: number; o?: string | null; a?: unknown; d?: number } = {}) =>
    appendFileSync(join(dir, 'q.db-admission', 'requests.log'), `${JSON.stringify({
      k: key, p: fields.p ?? process.ppid, b: join(dir, 'nobody.fifo'), d: fields.d ?? monotonicMs() + 60_000,
      o: fields.o === undefined ? 'note' : fields.o, a: fields.a,
    })}\n`);
  const result = (key: string) => sqlite.prepare('SELECT outcome, value FROM write_queue_outcomes WHERE key = ?').get(key) as { outcome: number; value: string } | undefined;
  return { sqlite, queue, notes, note, queueForeign, result, path };
}

const requestLines = (dir: string) =>
  readFileSync(join(dir, 'agentos.db-admission', 'requests.log'), { encoding: 'utf8', flag: 'a+' }).split('\n').filter(Boolean);

/** A process id that is certainly dead (a shell that has exited). */
const deadPid = () => Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());

describe('fair write admission (the write queue)', () => {
  const tempDir = useTempDir();
  const start = useWorkers('fair');

  it('serves the queued writes of other processes in arrival order, then its own, in one transaction', async () => {
    const { queue, notes, note, queueForeign, result, sqlite } = await openQueue(tempDir());
    queueForeign('a', { a: { text: 'first' } });
    queueForeign('b', { a: { text: 'second' } });
    expect(note('mine')).toEqual({ id: 3 });
    expect(notes()).toEqual(['first', 'second', 'mine']);
    expect(queue.batches).toBe(1);
    expect(result('a')).toEqual({ outcome: 1, value: JSON.stringify({ id: 1 }) });
    expect(result('b')).toEqual({ outcome: 1, value: JSON.stringify({ id: 2 }) });
    // Served once: the next write serves nothing again.
    note('again');
    expect(notes()).toEqual(['first', 'second', 'mine', 'again']);
    sqlite.close();
  });

  it('forgets stored outcomes once they are older than the retention (checked every 64 batches)', async () => {
    const { note, queueForeign, result, sqlite } = await openQueue(tempDir(), { outcomeRetentionMs: 1 });
    const oldKey = `${'0'.repeat(16)}.1.old.1`;
    queueForeign(oldKey, { a: { text: 'old' } });
    note('first');
    expect(result(oldKey)?.outcome).toBe(1);
    for (let i = 0; i < 63; i++) note(`filler ${i}`);
    expect(result(oldKey)).toBeUndefined();
    sqlite.close();
  });

  it("rolls back only the write that throws, stores its error for its owner, and rethrows one's own", async () => {
    const { notes, note, queueForeign, result, sqlite } = await openQueue(tempDir());
    queueForeign('bad', { a: { text: 'boom' } });
    queueForeign('good', { a: { text: 'fine' } });
    expect(() => note('boom')).toThrow(RangeError);
    expect(notes()).toEqual(['fine']);
    expect(result('bad')?.outcome).toBe(0);
    expect(JSON.parse(result('bad')!.value)).toMatchObject({ name: 'RangeError', message: 'boom refused' });
    sqlite.close();
  });

  it('skips requests of dead processes, expired requests and unparsable lines', async () => {
    const dir = tempDir();
    const { notes, note, queueForeign, sqlite } = await openQueue(dir);
    queueForeign('dead-turn', { p: deadPid(), o: null });
    queueForeign('expired', { a: { text: 'too late' }, d: monotonicMs() - 1 });
    appendFileSync(join(dir, 'q.db-admission', 'requests.log'), '{"k": garbage\n');
    queueForeign('live', { a: { text: 'kept' } });
    note('mine');
    expect(notes()).toEqual(['kept', 'mine']);
    sqlite.close();
  });

  it('waits at a turn only a live process can take, and goes past it once the owner leaves it untaken', async () => {
    const { notes, note, queueForeign, sqlite } = await openQueue(tempDir(), { headPatienceMs: 200 });
    // A turn held by a live process (our parent) that never takes it.
    queueForeign('stuck', { o: null });
    queueForeign('behind', { a: { text: 'queued behind' } });
    const started = monotonicMs();
    note('mine');
    expect(monotonicMs() - started).toBeGreaterThanOrEqual(200);
    expect(notes()).toEqual(['queued behind', 'mine']);
    sqlite.close();
  });

  it('gives up with SQLITE_BUSY when a writer outside the queue keeps the lock, and never runs the write later', async () => {
    const dir = tempDir();
    const { notes, note, sqlite } = await openQueue(dir, { timeoutMs: 200 });
    const other = new Database(join(dir, 'q.db'));
    other.exec('BEGIN IMMEDIATE');
    let error: unknown;
    try {
      note('timed out');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AdmissionTimeoutError);
    expect(error).toMatchObject({ code: 'SQLITE_BUSY' });
    other.exec('ROLLBACK');
    other.close();
    note('after');
    expect(notes()).toEqual(['after']);
    expect(readFileSync(join(dir, 'q.db-admission', 'requests.log'), 'utf8')).toContain('timed out');
    sqlite.close();
  });

  it('gives 6 processes on one task unique, gap-free sequence numbers', async () => {
    const dir = tempDir();
    openDatabase(join(dir, 'agentos.db')).close();
    const history = new History();
    const workers = Array.from({ length: 6 }, (_, i) => start(dir, history, `w-${i}`, 'checkpoint-writer', { taskId: 'shared', count: 40 }));
    expect((await Promise.all(workers.map((w) => w.exited))).every((e) => e.exitCode === 0)).toBe(true);
    const db = openDatabase(join(dir, 'agentos.db'));
    expect(new CheckpointManager(db).list('shared').map((c) => c.seq)).toEqual(Array.from({ length: 240 }, (_, i) => i + 1));
    db.close();
  });

  it('a writer whose doorbell is not listening yet (a fresh thread) still queues, and commits once when the lock frees', async () => {
    const dir = tempDir();
    openDatabase(join(dir, 'agentos.db')).close();
    const history = new History();
    const holder = start(dir, history, 'holder', 'lock-holder', { holdMs: 20_000 });
    await until(() => history.select('lock.held').length === 1);
    // A fresh thread has no doorbell yet: it is set up in the background at open, and the write below is synchronous,
    // so it cannot start listening while the writer waits. The thread closes its doorbell before it reports.
    const writer = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
      (async () => {
        const { openDatabase, CheckpointManager } = await import(workerData.index);
        const { processDoorbell } = await import(workerData.doorbell);
        const db = openDatabase(workerData.db, { writeAdmission: 'fair' });
        const cm = new CheckpointManager(db);
        const { seq } = cm.commit(cm.begin('early', 'step-1', { n: 1 }));
        db.close();
        const bell = processDoorbell();
        await bell.listening;
        bell.close();
        parentPort.postMessage({ seq, fifo: bell.fifo });
      })().catch((error) => parentPort.postMessage({ error: String(error) }));`,
      {
        eval: true,
        workerData: {
          db: join(dir, 'agentos.db'),
          index: pathToFileURL(builtPath('src/index.ts')).href,
          doorbell: pathToFileURL(builtPath('src/doorbell.ts')).href,
        },
      },
    );
    // Rejects on a worker error; a reply before the writer queued is a failure, not a reason to wait forever.
    const reply = once(writer, 'message').then(([message]) => message as { seq?: number; fifo?: string; error?: string });
    try {
      await Promise.race([
        until(() => requestLines(dir).length === 1),
        reply.then((message) => Promise.reject(new Error(`the writer finished before it queued: ${JSON.stringify(message)}`))),
      ]);
      // Queued behind the held lock, with a doorbell nobody listens on: its pipe (if made yet) has no reader, so a
      // ring could not wake it.
      const queued = JSON.parse(requestLines(dir)[0]!) as { b: string };
      expect(() => closeSync(openSync(queued.b, constants.O_WRONLY | constants.O_NONBLOCK))).toThrow(/ENXIO|ENOENT/);
      holder.signal('SIGKILL');
      expect(await reply).toEqual({ seq: 1, fifo: queued.b });
    } finally {
      await writer.terminate();
    }
    const db = openDatabase(join(dir, 'agentos.db'));
    expect(new CheckpointManager(db).list('early').map((c) => c.seq)).toEqual([1]);
    db.close();
  });

  it('a writer whose queued line vanished (the log emptied by hand) commits it exactly once by itself', async () => {
    const dir = tempDir();
    openDatabase(join(dir, 'agentos.db')).close();
    const history = new History();
    const writer = start(dir, history, 'writer', 'checkpoint-writer', { taskId: 'lost', count: 3, waitForGo: true });
    await until(() => history.select('worker.ready').length === 1);
    const holder = start(dir, history, 'holder', 'lock-holder', { holdMs: 20_000 }, (_w, e) => {
      if (e.kind === 'lock.held') writer.send({ cmd: 'go' });
    });
    await until(() => requestLines(dir).length >= 1);
    truncateSync(join(dir, 'agentos.db-admission', 'requests.log'), 0);
    holder.signal('SIGKILL');
    expect((await writer.exited).exitCode).toBe(0);
    const db = openDatabase(join(dir, 'agentos.db'));
    expect(new CheckpointManager(db).list('lost').map((c) => c.seq)).toEqual([1, 2, 3]);
    db.close();
  });

  it('keeps going when the lock holder and a queued writer are killed with SIGKILL', async () => {
    const dir = tempDir();
    openDatabase(join(dir, 'agentos.db')).close();
    const history = new History();
    const writers = Array.from({ length: 4 }, (_, i) => start(dir, history, `writer-${i}`, 'checkpoint-writer', { taskId: 'task-{worker}', count: 20, waitForGo: true }));
    await until(() => history.select('worker.ready').length === 4);
    const holder = start(dir, history, 'holder', 'lock-holder', { holdMs: 20_000 }, (_w, e) => {
      if (e.kind === 'lock.held') for (const writer of writers) writer.send({ cmd: 'go' });
    });
    // Once the writers are queued behind the held lock, kill a queued writer and the holder.
    await until(() => requestLines(dir).length >= 4);
    writers[1]!.signal('SIGKILL');
    holder.signal('SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');
    const exits = await Promise.all(writers.map((w) => w.exited));
    expect(exits[1]?.signal).toBe('SIGKILL');
    expect([exits[0], exits[2], exits[3]].map((e) => e?.exitCode)).toEqual([0, 0, 0]);
    const db = openDatabase(join(dir, 'agentos.db'));
    const cm = new CheckpointManager(db);
    for (const i of [0, 2, 3]) expect(cm.list(`task-writer-${i}`)).toHaveLength(20);
    expect(db.integrityCheck()).toEqual(['ok']);
    db.close();
  });

  it('loses no acknowledged write and runs none twice when writers are killed mid-run (any of them may be serving a batch)', async () => {
    const dir = tempDir();
    openDatabase(join(dir, 'agentos.db')).close();
    const history = new History();
    const count = 150;
    const writers = Array.from({ length: 6 }, (_, i) => start(dir, history, `writer-${i}`, 'checkpoint-writer', { taskId: 'task-{worker}', count, waitForGo: true }));
    await until(() => history.select('worker.ready').length === 6);
    for (const writer of writers) writer.send({ cmd: 'go' });
    // Kill two writers while all six are busy: whichever is serving a batch at that moment takes others' writes down
    // with its rolled-back transaction, and they must still commit exactly once.
    await until(() => history.select('checkpoint.committed').length >= 200);
    writers[2]!.signal('SIGKILL');
    await until(() => history.select('checkpoint.committed').length >= 400);
    writers[4]!.signal('SIGKILL');
    const exits = await Promise.all(writers.map((w) => w.exited));
    expect(exits.map((e) => e.signal ?? e.exitCode)).toEqual([0, 0, 'SIGKILL', 0, 'SIGKILL', 0]);
    const db = openDatabase(join(dir, 'agentos.db'));
    const cm = new CheckpointManager(db);
    for (let i = 0; i < 6; i++) {
      const seqs = cm.list(`task-writer-${i}`).map((c) => c.seq);
      const acknowledged = history.select('checkpoint.committed').filter((e) => e.worker === `writer-${i}`).map((e) => (e as unknown as { seq: number }).seq);
      // Gap-free from 1, every acknowledged sequence number present, and no write applied twice.
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, j) => j + 1));
      expect(seqs).toEqual(expect.arrayContaining(acknowledged));
      if (i === 2 || i === 4) expect(seqs.length - acknowledged.length).toBeLessThanOrEqual(1);
      else expect(seqs).toHaveLength(count);
    }
    expect(db.integrityCheck()).toEqual(['ok']);
    db.close();
  });
});
