import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { execa, execaSync } from 'execa';
import { isAlive } from '../powerloss/wait-dead.js';

/** PostgreSQL's server binaries (initdb, pg_ctl), or why there are none here. */
export function serverBinaries(): { bindir: string } | { missing: string } {
  try {
    const bindir = execaSync('pg_config', ['--bindir']).stdout.trim();
    for (const tool of ['initdb', 'pg_ctl'])
      if (!existsSync(join(bindir, tool))) return { missing: `no ${tool} in ${bindir} (pg_config --bindir)` };
    if (process.getuid?.() === 0 && !userExists('postgres'))
      return { missing: 'running as root, and there is no postgres user to run the server as' };
    return { bindir };
  } catch {
    return { missing: 'no pg_config on PATH: PostgreSQL server binaries are needed to start a throwaway cluster' };
  }
}

function userExists(name: string): boolean {
  return readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .some((line) => line.startsWith(`${name}:`));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  });
}

/**
 * A PostgreSQL cluster of its own in `dir`, on a free port, for scenarios that crash the server: crashing it harms
 * nobody. As root it runs as the postgres user. stop() removes it.
 */
export class ThrowawayCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly bindir: string,
  ) {}

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(dir: string): Promise<ThrowawayCluster> {
    const binaries = serverBinaries();
    if ('missing' in binaries) throw new Error(binaries.missing);
    mkdirSync(dir, { recursive: true });
    if (process.getuid?.() === 0) chownSync(dir, uidOf('postgres'), gidOf('postgres'));
    const cluster = new ThrowawayCluster(dir, await freePort(), binaries.bindir);
    try {
      await cluster.#run('initdb', ['-D', cluster.#data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
      await cluster.#startServer();
    } catch (error) {
      // Whatever started is stopped, and the folder goes.
      await cluster.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return cluster;
  }

  get #data(): string {
    return join(this.dir, 'data');
  }

  /** The postmaster's pid, from postmaster.pid (undefined while it is down). */
  get pid(): number | undefined {
    try {
      return Number(readFileSync(join(this.#data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  }

  /** Every process of the server: the postmaster and its children (backends, checkpointer, WAL writer, …). */
  processes(): number[] {
    const root = this.pid;
    if (root === undefined) return [];
    const children = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(root);
        } catch {
          return false;
        }
      })
      .map(Number);
    return [root, ...children];
  }

  /** SIGKILLs every server process at once, as a machine crash would; returns how many there were. */
  crash(): number {
    const pids = this.processes();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.#killed.push(...pids);
    return pids.length;
  }

  readonly #killed: number[] = [];

  /** SIGSTOPs (or SIGCONTs) every server process: the server hangs with every connection open. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): number {
    let signalled = 0;
    for (const pid of this.processes()) {
      try {
        process.kill(pid, signal);
        signalled++;
      } catch {
        // A backend that exited since it was listed.
      }
    }
    return signalled;
  }

  /** Starts the server again after a crash: it replays its WAL before it accepts connections. */
  async restart(): Promise<void> {
    // Not our children, so not waitable: watched until /proc no longer has them (SIGKILL lands within milliseconds).
    await waitUntil(() => !this.#killed.some(isAlive), 10_000, 'the killed server to exit');
    this.#killed.length = 0;
    // What the dead server left behind: its pid file and its socket's lock file.
    rmSync(join(this.#data, 'postmaster.pid'), { force: true });
    rmSync(join(this.dir, `.s.PGSQL.${this.port}.lock`), { force: true });
    rmSync(join(this.dir, `.s.PGSQL.${this.port}`), { force: true });
    await this.#startServer();
  }

  /** Stops the server and returns once none of its processes is left, then removes its folder. */
  async stop(): Promise<void> {
    const processes = [...this.processes(), ...this.#killed];
    if (this.pid !== undefined) {
      this.signal('SIGCONT');
      await this.#run('pg_ctl', ['-D', this.#data, '-m', 'immediate', '-w', 'stop']).catch(() => this.crash());
    }
    // Backends outlive their postmaster briefly; whatever has not exited in time is killed.
    const gone = (): boolean => processes.every((pid) => !isAlive(pid));
    await waitUntil(gone, 10_000, 'the server processes to exit').catch(async () => {
      for (const pid of processes.filter(isAlive)) process.kill(pid, 'SIGKILL');
      await waitUntil(gone, 10_000, 'the server processes to die');
    });
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #startServer(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on -c synchronous_commit=on`;
    await this.#run('pg_ctl', [
      '-D',
      this.#data,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      options,
      'start',
    ]);
  }

  async #run(tool: string, args: string[]): Promise<void> {
    const command = join(this.bindir, tool);
    // The server and its tools refuse to run as root.
    if (process.getuid?.() === 0)
      await execa('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'ignore' });
    else await execa(command, args, { stdio: 'ignore' });
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

function uidOf(user: string): number {
  return Number(execaSync('id', ['-u', user]).stdout.trim());
}

function gidOf(user: string): number {
  return Number(execaSync('id', ['-g', user]).stdout.trim());
}
