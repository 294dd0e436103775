import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { builtPath } from './build.js';
import { MARKER_VARIABLE } from './marker.js';
import type { AnyEvent, WorkerCommand } from './protocol.js';
import { workloadParams, type WorkloadName } from './workloads/params.js';

export interface WorkerExit {
  exitCode: number | null;
  signal: string | null;
}

export interface SpawnOptions {
  id: string;
  group: string;
  workload: string;
  params: Record<string, unknown>;
  dbPath: string;
  runDir: string;
  durability: 'normal' | 'full';
  /** Variables added to this worker's environment (e.g. an armed crash point). */
  env?: Record<string, string>;
  onEvent: (worker: WorkerProcess, event: AnyEvent) => void;
  onExit: (worker: WorkerProcess, exit: WorkerExit) => void;
}

/**
 * The environment of a worker: ours, less NODE_EXTRA_CA_CERTS. Node parses that certificate bundle at every start
 * (about 70 ms of CPU per process on the development machine, more than the rest of start-up); workers make no TLS
 * connections, and a scenario may start a hundred of them at once.
 */
function workerEnv(marker: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, [MARKER_VARIABLE]: marker };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Pids of live processes whose environment carries `marker` (Linux /proc; none elsewhere). */
function markedProcesses(marker: string): number[] {
  const needle = Buffer.from(`${MARKER_VARIABLE}=${marker}\0`);
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

/**
 * V8's young generation capped at 1 MB semi-spaces (default up to 16 MB): a worker's garbage is collected sooner
 * instead of growing the heap, which kept the AgentosSaver put worker at 95 MB peak RSS instead of 80 MB. The same
 * for every worker, ours and a peer's, so benchmark variants still compare like with like.
 */
export const WORKER_NODE_OPTIONS = ['--max-semi-space-size=1'];

function startWorker(entry: string, options: SpawnOptions, marker: string) {
  return execa(
    process.execPath,
    [
      ...WORKER_NODE_OPTIONS,
      entry,
      `--workload=${options.workload}`,
      `--db=${options.dbPath}`,
      `--worker-id=${options.id}`,
      `--run-dir=${options.runDir}`,
      `--params=${JSON.stringify(options.params)}`,
      `--durability=${options.durability}`,
    ],
    {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
      cwd: options.runDir,
      env: workerEnv(marker, options.env),
      extendEnv: false,
    },
  );
}
type WorkerSubprocess = ReturnType<typeof startWorker>;

/** One running worker: a plain `node` process running the built entry point. */
export class WorkerProcess {
  readonly id: string;
  readonly group: string;
  readonly pid: number;
  readonly exited: Promise<WorkerExit>;
  #stderr = '';
  #alive = true;
  #paused = false;
  #peakRssKb: number | null = null;
  #rssSampledAt = -Infinity;
  readonly #subprocess: WorkerSubprocess;

  constructor(options: SpawnOptions, entry: string, marker: string) {
    this.id = options.id;
    this.group = options.group;
    this.#subprocess = startWorker(entry, options, marker);
    if (this.#subprocess.pid === undefined) throw new Error(`worker ${options.id} did not start`);
    this.pid = this.#subprocess.pid;
    this.#subprocess.stdin.on('error', () => undefined);
    this.#subprocess.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-8192);
    });
    const lines = createInterface({ input: this.#subprocess.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      let event: AnyEvent;
      try {
        event = JSON.parse(line) as AnyEvent;
      } catch {
        event = { kind: 'worker.error', message: `malformed event line (${line.length} bytes): ${line.slice(0, 200)}` };
      }
      this.#sampleRss(event.kind === 'worker.done' || event.kind === 'worker.error');
      options.onEvent(this, event);
    });
    const lineClosed = new Promise<void>((resolve) => lines.once('close', resolve));
    this.exited = Promise.all([this.#subprocess, lineClosed]).then(([result]) => {
      this.#alive = false;
      const exit = { exitCode: result.exitCode ?? null, signal: result.signal ?? null };
      options.onExit(this, exit);
      return exit;
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** Highest resident set size seen while sampling /proc at each event, in kB. */
  get peakRssKb(): number | null {
    return this.#peakRssKb;
  }

  send(command: WorkerCommand): void {
    if (this.#alive) this.#subprocess.stdin.write(`${JSON.stringify(command)}\n`);
  }

  signal(signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT' | 'SIGTERM'): boolean {
    if (!this.#alive) return false;
    if (signal === 'SIGSTOP') this.#paused = true;
    if (signal === 'SIGCONT') this.#paused = false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * VmHWM is the process's own high-water mark, so a sample just before it exits ('worker.done' or 'worker.error')
   * holds its peak. Other events sample at most every 100 ms, for workers that are killed.
   */
  #sampleRss(final: boolean): void {
    const now = performance.now();
    if (!final && now - this.#rssSampledAt < 100) return;
    this.#rssSampledAt = now;
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      if (m) this.#peakRssKb = Math.max(this.#peakRssKb ?? 0, Number(m[1]));
    } catch {
      // Not Linux, or the process already exited.
    }
  }
}

/** Owns every worker process of a scenario: starts them, and kills and awaits them all at teardown. */
export class Supervisor {
  readonly #workers: WorkerProcess[] = [];
  readonly #entry: string;
  readonly #marker = randomUUID();

  /** buildDir: where the workers' JavaScript is (default the normal build; a mutant build for checker tests). */
  constructor(options: { buildDir?: string } = {}) {
    this.#entry = builtPath('harness/workers/entry.ts', options.buildDir);
  }

  /** Starts a worker; its parameters are validated and defaulted here, so the worker itself needs no schema library. */
  spawn(options: SpawnOptions): WorkerProcess {
    const schema = workloadParams[options.workload as WorkloadName] as
      | (typeof workloadParams)[WorkloadName]
      | undefined;
    if (!schema)
      throw new Error(`unknown workload "${options.workload}"; known: ${Object.keys(workloadParams).join(', ')}`);
    const parsed = schema.safeParse(options.params);
    if (!parsed.success)
      throw new Error(
        `invalid params for workload "${options.workload}" (worker ${options.id}): ${parsed.error.message}`,
      );
    const worker = new WorkerProcess(
      { ...options, params: parsed.data as Record<string, unknown> },
      this.#entry,
      this.#marker,
    );
    this.#workers.push(worker);
    return worker;
  }

  get all(): readonly WorkerProcess[] {
    return this.#workers;
  }

  live(): WorkerProcess[] {
    return this.#workers.filter((w) => w.alive);
  }

  /**
   * SIGCONT (a stopped process cannot die of SIGKILL until continued on some systems) then SIGKILL every live worker
   * and wait for all exits; then SIGKILL whatever the workers started that outlived them, and wait (up to 5 s) until
   * the kernel has let those go too.
   */
  async reapAll(): Promise<void> {
    for (const w of this.live()) {
      w.signal('SIGCONT');
      w.signal('SIGKILL');
    }
    await Promise.all(this.#workers.map((w) => w.exited));
    const deadline = performance.now() + 5000;
    for (
      let left = markedProcesses(this.#marker);
      left.length > 0 && performance.now() < deadline;
      left = markedProcesses(this.#marker)
    ) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGCONT');
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      // Orphans are reaped by init, not by us: give it its turn.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Pids of workers, or of processes they started, that are still alive (should be none after reapAll). */
  survivors(): number[] {
    const workers = this.#workers
      .map((w) => w.pid)
      .filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
    return [...workers, ...markedProcesses(this.#marker).filter((pid) => !workers.includes(pid))];
  }
}
