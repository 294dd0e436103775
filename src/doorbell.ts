import { execFile } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * The helper thread's code: block on the process's FIFO and count every byte (a hand-off) into shared memory, so
 * the main thread can wait for its turn with Atomics.wait — a blocking wait that still has a timeout.
 */
const LISTENER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const cell = new Int32Array(workerData.shared);
const fd = fs.openSync(workerData.fifo, fs.constants.O_RDWR);
Atomics.store(cell, 2, 1);
Atomics.notify(cell, 2);
parentPort.postMessage('listening');
const buf = Buffer.alloc(64);
while (Atomics.load(cell, 1) === 0) {
  fs.readSync(fd, buf, 0, 64, null);
  Atomics.add(cell, 0, 1);
  Atomics.notify(cell, 0);
}`;

/**
 * One per process: a named pipe other processes write a byte to when it is this process's turn, and a helper thread
 * that turns those bytes into an Atomics counter. Set up in the background on first use (Node has no mkfifo, so a
 * `mkfifo` process makes the pipe); `ready` says when it can be relied on.
 * Cells: 0 hand-offs received, 1 stop, 2 listening, 3 constant 0 (for plain timed waits).
 */
export class Doorbell {
  readonly fifo: string;
  readonly cell = new Int32Array(new SharedArrayBuffer(16));
  #helper: Worker | undefined;
  #writeFd: number | undefined;
  #closed = false;
  /** Settles when the helper listens (or set-up failed: writers then keep using the busy handler). */
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
      const helper = new Worker(LISTENER, { eval: true, workerData: { shared: this.cell.buffer, fifo: this.fifo } });
      // Referenced until it listens (so awaiting `listening` keeps the process alive), then unreferenced.
      helper.once('message', () => {
        helper.unref();
        // Our own write end: close() can always wake the helper, even if the pipe's path was removed meanwhile.
        try {
          this.#writeFd = openSync(this.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch {
          // Without it, close() falls back to the path.
        }
        this.#settle();
      });
      helper.on('error', () => {
        helper.unref();
        this.#settle();
      });
      this.#helper = helper;
    });
    child.on('error', () => this.#settle());
    // A helper blocked in read() would hold the process open at exit: stop it first.
    process.once('exit', () => this.close());
  }

  get ready(): boolean {
    return !this.#closed && Atomics.load(this.cell, 2) === 1;
  }

  /** Hand-offs received so far; pass it to wait() to sleep until the next one. */
  get rings(): number {
    return Atomics.load(this.cell, 0);
  }

  /** Sleeps until a hand-off arrives after `seen` was read, or timeoutMs passes. */
  wait(seen: number, timeoutMs: number): void {
    Atomics.wait(this.cell, 0, seen, timeoutMs);
  }

  /** A plain timed pause (cell 3 never changes). */
  pause(ms: number): void {
    Atomics.wait(this.cell, 3, 0, ms);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#helper) {
      Atomics.store(this.cell, 1, 1);
      Atomics.wait(this.cell, 2, 0, 2000);
      if (this.#writeFd === undefined) ring(this.fifo);
      else {
        try {
          writeSync(this.#writeFd, Buffer.from([1]));
        } catch {
          // The helper is gone already.
        }
        closeSync(this.#writeFd);
      }
    }
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

/** Wakes the process listening on a FIFO; a FIFO nobody listens on (gone, or not yet open) is ignored. */
export function ring(fifo: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(fd, Buffer.from([1]));
  } catch {
    // ENXIO (no reader), ENOENT (removed), EAGAIN (pipe full: the listener will wake anyway).
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
