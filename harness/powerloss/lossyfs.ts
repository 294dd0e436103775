import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { lossyFsBinary } from './build.js';

/** The control file in the mount's root: write a command, read the JSON answer from offset 0. */
const CONTROL_FILE = '.lossyfs';
const MOUNT_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 30_000;

const statsSchema = z.object({
  files: z.number(),
  dirs: z.number(),
  /** Size of every file, now. */
  bytes: z.number(),
  /** Distinct bytes written since their file's last fsync. */
  unsyncedBytes: z.number(),
  unsyncedFiles: z.number(),
  /** Folders with entries (creates, unlinks, renames) not yet made durable by fsync of the folder. */
  unsyncedDirs: z.number(),
  openHandles: z.number(),
  fsyncs: z.number(),
  dirFsyncs: z.number(),
  drops: z.number(),
});

const dropSchema = z.object({
  /** Unsynced bytes of surviving files, plus the whole size of files that vanished. */
  bytesDropped: z.number(),
  /** Files whose name was not durable (their folder was not fsynced since they were created or renamed there). */
  filesDropped: z.number(),
  /** Files whose content went back to their last fsync. */
  filesReverted: z.number(),
  /** Files that came back: unlinked or renamed away without an fsync of the folder. */
  filesRestored: z.number(),
  dirsReverted: z.number(),
  /** Handles still open at the drop: a process that survived the power loss (should be 0). */
  openHandles: z.number(),
  /** The last unsynced write, of which the first `kept` bytes reached the disk (null without `tear`). */
  torn: z
    .object({
      path: z.string().nullable(),
      offset: z.number(),
      kept: z.number(),
      length: z.number(),
      landed: z.boolean(),
    })
    .nullable(),
  /** Each file that lost bytes (the first 100), by its path in the mount before the drop. */
  files: z.array(z.object({ path: z.string(), bytes: z.number(), vanished: z.boolean() })),
});

export type LossyFsStats = z.output<typeof statsSchema>;
export type DropReport = z.output<typeof dropSchema>;

export interface DropOptions {
  /** Keep this many bytes of the last unsynced write (a write torn at that boundary, e.g. 512 for a sector). */
  tear?: number;
}

/** A lossyfs command failed, or the mount could not be started or stopped; the message names the mount point. */
export class LossyFsError extends Error {
  override name = 'LossyFsError';
}

/** Every mount of this process, by mount point: the power-loss fault finds the one holding its run folder. */
const mounts = new Map<string, LossyFs>();

/**
 * A mounted lossyfs: a file system that keeps written data in memory until fsync and loses the rest on drop().
 * The control methods are synchronous, so a fault can kill, drop and record in one step of the event loop.
 */
export class LossyFs {
  readonly mountPoint: string;
  readonly backingDir: string;
  readonly #daemon: ChildProcess;
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr = '';
  #unmounted = false;

  private constructor(backingDir: string, mountPoint: string, daemon: ChildProcess) {
    this.backingDir = backingDir;
    this.mountPoint = mountPoint;
    this.#daemon = daemon;
    // 'close' comes after the output streams ended, so the daemon's last error message is in #stderr.
    this.#exited = new Promise((done) => daemon.once('close', (code, signal) => done({ code, signal })));
    daemon.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-4096);
    });
  }

  /**
   * Mounts lossyfs on mountPoint. backingDir must be empty; the file system starts empty, and at unmount its final
   * content is written there (backingDir may be mountPoint itself: the folder under the mount).
   */
  static async mount(backingDir: string, mountPoint: string): Promise<LossyFs> {
    const point = resolve(mountPoint);
    if (mounts.has(point)) throw new LossyFsError(`lossyfs: ${point} is already mounted by this process`);
    const daemon = spawn(lossyFsBinary(), [resolve(backingDir), point], { stdio: ['pipe', 'pipe', 'pipe'] });
    const fs = new LossyFs(resolve(backingDir), point, daemon);
    // The daemon watches stdin: when this process dies, the pipe closes and the mount goes away with it.
    daemon.stdin.on('error', () => undefined);
    const ready = await new Promise<string | null>((done) => {
      const lines = createInterface({ input: daemon.stdout });
      const timer = setTimeout(() => done(`no "ready" within ${MOUNT_TIMEOUT_MS} ms`), MOUNT_TIMEOUT_MS);
      lines.once('line', (line) => {
        clearTimeout(timer);
        done(line === 'ready' ? null : `unexpected output "${line}"`);
      });
      daemon.once('close', (code, signal) => {
        clearTimeout(timer);
        done(`the daemon exited (${signal ?? `status ${code}`})`);
      });
      daemon.once('error', (error) => {
        clearTimeout(timer);
        done(error.message);
      });
    });
    if (ready !== null) {
      daemon.kill('SIGKILL');
      await fs.#exited;
      throw new LossyFsError(
        `lossyfs: mounting on ${point} failed: ${ready}${fs.#stderr ? `: ${fs.#stderr.trim()}` : ''}`,
      );
    }
    mounts.set(point, fs);
    return fs;
  }

  /** The mount whose mount point holds `path`, if this process mounted one. */
  static containing(path: string): LossyFs | undefined {
    const target = resolve(path);
    for (const [point, fs] of mounts) if (target === point || target.startsWith(point + sep)) return fs;
    return undefined;
  }

  get pid(): number {
    return this.#daemon.pid ?? -1;
  }

  /** The power loss: everything not fsynced is dropped (optionally tearing the last write); says what was lost. */
  drop(options: DropOptions = {}): DropReport {
    const { tear } = options;
    if (tear !== undefined && (!Number.isInteger(tear) || tear < 0)) {
      throw new LossyFsError(`lossyfs: tear must be a whole number of bytes ≥ 0, got ${tear}`);
    }
    return dropSchema.parse(this.#command(tear === undefined ? 'drop' : `drop tear=${tear}`));
  }

  stats(): LossyFsStats {
    return statsSchema.parse(this.#command('stats'));
  }

  /** Makes everything durable, as `sync` before a clean shutdown does. */
  sync(): LossyFsStats {
    return statsSchema.parse(this.#command('sync'));
  }

  /**
   * Unmounts and waits for the daemon, which writes the final content to the backing folder. A mount still in use is
   * detached lazily and its daemon stopped, and that is reported as an error naming the open handles.
   */
  async unmount(): Promise<void> {
    if (this.#unmounted) return;
    this.#unmounted = true;
    mounts.delete(this.mountPoint);
    let problem: string | null = null;
    const plain = spawnSync('fusermount3', ['-u', this.mountPoint], { encoding: 'utf8' });
    if (plain.status !== 0) {
      let open = 'unknown';
      try {
        open = String(statsSchema.parse(this.#control('stats')).openHandles);
      } catch {
        // The daemon may be gone already.
      }
      problem = `could not unmount (${(plain.error?.message ?? plain.stderr).trim()}); ${open} file handle(s) were open; detached it lazily`;
      spawnSync('fusermount3', ['-uz', this.mountPoint]);
      // The holders would keep a lazily detached mount alive: stop the daemon (it still saves what it holds).
      this.#daemon.kill('SIGTERM');
    }
    let exit = await Promise.race([this.#exited, timeout(problem ? 5_000 : EXIT_TIMEOUT_MS)]);
    if (exit === 'timeout') {
      this.#daemon.kill('SIGKILL');
      exit = await this.#exited;
      problem = `${problem ? `${problem}; ` : ''}the daemon did not exit and was killed`;
    }
    this.#daemon.stdin?.destroy();
    if (!problem && exit.code !== 0)
      problem = `the daemon exited with ${exit.signal ?? `status ${exit.code}`}: ${this.#stderr.trim()}`;
    if (problem) throw new LossyFsError(`lossyfs on ${this.mountPoint}: ${problem}`);
  }

  #command(command: string): unknown {
    if (this.#unmounted) throw new LossyFsError(`lossyfs on ${this.mountPoint} is unmounted; "${command}" cannot run`);
    return this.#control(command);
  }

  #control(command: string): unknown {
    const fd = openSync(join(this.mountPoint, CONTROL_FILE), 'r+');
    try {
      writeSync(fd, command);
      const buffer = Buffer.alloc(64 * 1024);
      const length = readSync(fd, buffer, 0, buffer.length, 0);
      const answer = JSON.parse(buffer.subarray(0, length).toString('utf8')) as unknown;
      if (answer !== null && typeof answer === 'object' && 'error' in answer) {
        throw new LossyFsError(
          `lossyfs on ${this.mountPoint}: unknown command ${JSON.stringify(answer.error)}; known: stats, drop [tear=<bytes>], sync`,
        );
      }
      return answer;
    } finally {
      closeSync(fd);
    }
  }
}

function timeout(ms: number): Promise<'timeout'> {
  return new Promise((done) => setTimeout(() => done('timeout'), ms).unref());
}
