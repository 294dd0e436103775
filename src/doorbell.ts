import { execFile } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * The timer thread's code. The main thread blocks in read() on its own FIFO, so a ring wakes it directly; this
 * thread only gives that read a timeout: when an armed deadline passes, it writes a byte to the FIFO itself.
 * Cells: 0 arm generation (odd: armed), 1 stop, 2 listening, 3 the timer sleeps until armed (so arming must notify
 * it; otherwise it is in a timed wait and re-reads the deadline when that ends — no wake-up per wait). The deadline
 * (monotonic ms) is in a Float64 cell.
 */
const TIMER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const cell = new Int32Array(workerData.shared);
const deadline = new Float64Array(workerData.deadline);
const fd = fs.openSync(workerData.fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
const now = () => Number(process.hrtime.bigint()) / 1e6;
Atomics.store(cell, 2, 1);
parentPort.postMessage('listening');
while (Atomics.load(cell, 1) === 0) {
  const gen = Atomics.load(cell, 0);
  if (gen % 2 === 0) {
    Atomics.store(cell, 3, 1);
    if (Atomics.load(cell, 0) === gen) Atomics.wait(cell, 0, gen);
    Atomics.store(cell, 3, 0);
    continue;
  }
  const remaining = deadline[0] - now();
  if (remaining > 0) { Atomics.wait(cell, 0, gen, remaining); continue; }
  try { fs.writeSync(fd, '\\n'); } catch {}
  while (Atomics.load(cell, 0) === gen && Atomics.load(cell, 1) === 0) Atomics.wait(cell, 0, gen, 50);
}`;

/**
 * One per process (per thread): a named pipe other processes write to when it is this process's turn, or with the
 * outcome of a write they ran for it (one short line). The main thread waits by reading it, so a ring wakes it with
 * one context switch; a small timer thread bounds the wait. Set up in the background on first use (Node has no
 * mkfifo, so a `mkfifo` process makes the pipe); `ready` says when it can be relied on. Wake-ups may be spurious:
 * waiters re-check their condition.
 */
export class Doorbell {
  readonly fifo: string;
  readonly #cell = new Int32Array(new SharedArrayBuffer(16));
  readonly #deadline = new Float64Array(new SharedArrayBuffer(8));
  readonly #pauseCell = new Int32Array(new SharedArrayBuffer(4));
  readonly #buffer = Buffer.alloc(16384);
  #partial = '';
  #readFd: number | undefined;
  #closed = false;
  /** Settles when the doorbell listens (or set-up failed: writers then keep using short retries). */
  readonly listening: Promise<void>;
  #settle: () => void = () => undefined;

  constructor() {
    const dir = join(tmpdir(), `agentos-doorbells-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(dir)) {
      const pid = /^(\d+)-.*\.fifo$/.exec(name)?.[1];
      if (pid && !isAlive(Number(pid))) rmSync(join(dir, name), { force: true });
    }
    this.fifo = join(dir, `${process.pid}-${Math.random().toString(36).slice(2)}.fifo`);
    this.listening = new Promise((resolve) => (this.#settle = resolve));
    const child = execFile('mkfifo', ['-m', '600', this.fifo], (error) => {
      if (error || this.#closed) return this.#settle();
      try {
        // O_RDWR: never blocks on open, and keeps the pipe open for writers even when nobody else has it.
        this.#readFd = openSync(this.fifo, constants.O_RDWR);
      } catch {
        return this.#settle();
      }
      const timer = new Worker(TIMER, { eval: true, workerData: { shared: this.#cell.buffer, deadline: this.#deadline.buffer, fifo: this.fifo } });
      // Referenced until it runs (so awaiting `listening` keeps the process alive), then unreferenced.
      timer.once('message', () => {
        timer.unref();
        this.#settle();
      });
      timer.on('error', () => {
        timer.unref();
        this.#settle();
      });
    });
    child.on('error', () => this.#settle());
    process.once('exit', () => this.close());
  }

  get ready(): boolean {
    return !this.#closed && this.#readFd !== undefined && Atomics.load(this.#cell, 2) === 1;
  }

  /**
   * Sleeps until a ring arrives or timeoutMs passes, and returns the messages received (lines; a plain ring is an
   * empty line and is dropped). A ring sent since the last wait is not lost (it waits in the pipe), so callers read
   * their condition, then wait, then read it again.
   */
  wait(timeoutMs: number): string[] {
    const fd = this.#readFd;
    if (fd === undefined || this.#closed) {
      this.pause(timeoutMs);
      return [];
    }
    this.#deadline[0] = Number(process.hrtime.bigint()) / 1e6 + timeoutMs;
    const armed = Atomics.add(this.#cell, 0, 1) + 1;
    if (Atomics.load(this.#cell, 3) === 1) Atomics.notify(this.#cell, 0);
    let read = 0;
    try {
      read = readSync(fd, this.#buffer, 0, this.#buffer.length, null);
    } catch {
      // EINTR or EAGAIN: a spurious wake-up.
    }
    // Disarm (no notify: the timer sees it when its own wait ends).
    Atomics.compareExchange(this.#cell, 0, armed, armed + 1);
    // A message longer than one read is completed by the next.
    const lines = (this.#partial + this.#buffer.toString('utf8', 0, read)).split('\n');
    this.#partial = lines.pop() ?? '';
    return lines.filter((line) => line.length > 0);
  }

  /** A plain timed pause that ignores rings. */
  pause(ms: number): void {
    Atomics.wait(this.#pauseCell, 0, 0, ms);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    Atomics.store(this.#cell, 1, 1);
    Atomics.add(this.#cell, 0, 2);
    Atomics.notify(this.#cell, 0);
    if (this.#readFd !== undefined) closeSync(this.#readFd);
    rmSync(this.fifo, { force: true });
  }
}

let doorbell: Doorbell | undefined;

/** This process's doorbell, created (in the background) on first use. */
export function processDoorbell(): Doorbell {
  doorbell ??= new Doorbell();
  return doorbell;
}

/** Whether a process exists and is not a zombie (dead, waiting to be reaped by its parent). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S …"; the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Write ends of recently rung pipes: a hand-off is then one write(), not open + write + close. */
const ringFds = new Map<string, number>();
const MAX_RING_FDS = 256;
/** Up to this size a write to a pipe lands whole (POSIX PIPE_BUF on Linux). */
export const MAX_MESSAGE_BYTES = 4096;

/**
 * Wakes the process listening on a FIFO, optionally with a one-line message (at most MAX_MESSAGE_BYTES, ending in a
 * newline). A FIFO nobody listens on (gone, or not yet open) is ignored; so is a full one (its listener will wake
 * anyway, and must not rely on the message).
 */
export function ring(fifo: string, message = '\n'): void {
  let fd = ringFds.get(fifo);
  if (fd !== undefined) {
    try {
      writeSync(fd, message);
      return;
    } catch (error) {
      // EAGAIN: the pipe is full, so its listener will wake anyway. EPIPE: its listener is gone.
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return;
      ringFds.delete(fifo);
      closeSync(fd);
    }
  }
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    return; // ENXIO (no reader), ENOENT (removed).
  }
  try {
    writeSync(fd, message);
  } catch {
    // EAGAIN or EPIPE, as above.
  }
  if (ringFds.size >= MAX_RING_FDS) forgetRingFds();
  ringFds.set(fifo, fd);
}

/** Closes the cached write ends (when the cache is full). */
export function forgetRingFds(): void {
  for (const fd of ringFds.values()) closeSync(fd);
  ringFds.clear();
}
