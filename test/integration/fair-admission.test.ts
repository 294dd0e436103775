import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { History } from '../../harness/history.js';
import { AdmissionTimeoutError, BUSY, FairAdmission } from '../../src/admission.js';
import { CheckpointManager, openDatabase } from '../../src/index.js';
import Database from 'better-sqlite3';
import { useTempDir } from '../helpers/temp-db.js';
import { useWorkers } from '../helpers/workers.js';
import { until } from '../helpers/until.js';

describe('fair write admission', () => {
  const tempDir = useTempDir();
  const start = useWorkers('fair');

  it('retries at the head of the queue until the lock is free, then hands back the result', async () => {
    const dir = tempDir();
    const admission = new FairAdmission(join(dir, 'x.db'));
    await admission.listening;
    let attempts = 0;
    expect(admission.admit(() => (++attempts < 3 ? BUSY : 'done'))).toBe('done');
    expect(attempts).toBe(3);
    expect(admission.contended).toBe(false);
    admission.close();
  });

  it('gives up with SQLITE_BUSY after its timeout when a live process stays ahead', async () => {
    const dir = tempDir();
    const admission = new FairAdmission(join(dir, 'x.db'), { timeoutMs: 300, livenessCheckMs: 20 });
    await admission.listening;
    // A ticket ahead of ours, held by a process that is alive (our parent) and never hands over.
    const queue = new Database(join(dir, 'x.db-admission', 'queue.db'));
    queue.prepare("INSERT INTO queue (pid, fifo) VALUES (?, '/nonexistent.fifo')").run(process.ppid);
    let attempted = false;
    const error = (() => {
      try {
        admission.admit(() => (attempted = true));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AdmissionTimeoutError);
    expect(error).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(attempted).toBe(false);
    // It left the queue: only the stuck ticket remains.
    expect(queue.prepare('SELECT COUNT(*) FROM queue').pluck().get()).toBe(1);
    queue.close();
    admission.close();
  });

  it('skips the ticket of a process that died', async () => {
    const dir = tempDir();
    const admission = new FairAdmission(join(dir, 'x.db'), { timeoutMs: 5000, livenessCheckMs: 20 });
    await admission.listening;
    const queue = new Database(join(dir, 'x.db-admission', 'queue.db'));
    const dead = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
    queue.prepare("INSERT INTO queue (pid, fifo) VALUES (?, '/nonexistent.fifo')").run(dead);
    expect(admission.admit(() => 'mine')).toBe('mine');
    expect(queue.prepare('SELECT COUNT(*) FROM queue').pluck().get()).toBe(0);
    queue.close();
    admission.close();
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
    const queue = new Database(join(dir, 'agentos.db-admission', 'queue.db'), { readonly: true });
    await until(() => (queue.prepare('SELECT COUNT(*) FROM queue').pluck().get() as number) >= 4);
    queue.close();
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
});
