import { createHash, type Hash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import type { Statement } from 'better-sqlite3';
import type { AgentDatabase } from './db.js';
import type { Fence } from './fencing.js';
import { isSameProcess, ownProcessStartTime } from './process-identity.js';
import { crashPoint } from './crash-points.js';
import { mutant } from './mutants.js';
import { InDoubtToolCallError, LeaseLostError, ToolCallInProgressError, ToolSpawnError } from './errors.js';
import { sha256Hex } from './evidence.js';
import { canonicalJson } from './json-state.js';
import { Metrics } from './metrics.js';
import { InvalidArgumentError, assertId, assertPositiveInt } from './validate.js';

export interface ToolRunOptions {
  cwd?: string;
  /** Variables added to (or overriding) the ledger's base environment for the command; part of the call's identity. */
  env?: Record<string, string>;
  /**
   * The call's identity, chosen by the caller: calls with the same key are the same call whatever their command,
   * cwd and environment (the caller then answers for giving different calls different keys). Without it the identity
   * is the command, the absolute cwd and the effective environment (process.env merged with env).
   */
  key?: string;
  /**
   * Kill the command's process group after this many ms and return at once with timedOut (the result is recorded
   * like any other). Without it, run() waits until the command and everything holding its output open have ended.
   */
  timeoutMs?: number;
  /** Keep at most this many bytes of each of stdout and stderr (default: the ledger's maxOutputBytes). */
  maxOutputBytes?: number;
  /** What to do with a call that was started but never finished: 'throw' (default) or 'execute' it again. */
  onInDoubt?: 'throw' | 'execute';
  /**
   * Run under this lease (e.g. a Lease from LeaseManager): the started and the completed record are each written only
   * while the lease is still held, else LeaseLostError (a refused start runs nothing; a refused finish leaves the call
   * started, so the lease's new holder finds it in doubt).
   */
  lease?: Fence;
}

export interface ToolResult {
  /** The shell's exit code; null when it was killed by a signal, or on a timeout. */
  exitCode: number | null;
  /** stdoutBytes decoded as UTF-8 (lossy: bytes that are not UTF-8 become U+FFFD). */
  stdout: string;
  /** stderrBytes decoded as UTF-8 (lossy, as stdout). */
  stderr: string;
  /** The output byte for byte, identical between the execution and every replay. */
  stdoutBytes: Buffer;
  stderrBytes: Buffer;
  /** The timeout fired: the process group was killed and the output is what had arrived by then. */
  timedOut: boolean;
  /** stdout or stderr was longer than maxOutputBytes and was cut there. */
  truncated: boolean;
  /** How long the command ran when it was executed (for a replay: the recorded duration). */
  durationMs: number;
  /** True when the result came from the ledger and the command did not run. */
  replayed: boolean;
}

export interface ToolLedgerStats {
  executed: number;
  replayed: number;
  replayRate: number;
}

export interface ToolLedgerOptions {
  /** How long a recorded result may be replayed, in ms (default 30 days, as the seed). */
  ttlMs?: number;
  /** Default cap on the bytes kept of each of stdout and stderr, per call (default 10 MiB). */
  maxOutputBytes?: number;
  /**
   * The environment every command starts from. Default: the variables named by `inheritEnv`, taken from process.env
   * when the ledger is created. Captured once: a call's key covers exactly what the child gets.
   */
  env?: Record<string, string>;
  /**
   * Which of this process's variables commands inherit (default INHERITED_ENV: PATH, HOME, locale and the like), or
   * 'all'. Only what a command gets is part of its identity, so a process restarted with other unrelated variables
   * still recognises its calls; with 'all', any difference in the environment makes every call a new one.
   */
  inheritEnv?: readonly string[] | 'all';
  metrics?: Metrics;
}

interface ToolRow {
  status: 'started' | 'completed';
  exit_code: number | null;
  timed_out: 0 | 1;
  truncated: 0 | 1;
  stdout: Buffer | null;
  stderr: Buffer | null;
  duration_ms: number | null;
  started_at: number;
  owner_pid: number | null;
  owner_start: string | null;
  expires_at: number | null;
}

interface Output {
  exitCode: number | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  truncated: boolean;
}

/** The sha256 state after an environment's canonical JSON: the first part of a derived call key. */
function hashEnv(env: Readonly<Record<string, string>>): Hash {
  return createHash('sha256').update(`${canonicalJson(env, 'env')}\n`);
}

/** The variables a command inherits from this process by default: where programs are, who and where we are. */
export const INHERITED_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'TZ',
  'TMPDIR',
  'TERM',
];

/** The named variables of process.env (or all of them). */
function inherited(names: readonly string[] | 'all'): Record<string, string | undefined> {
  if (names === 'all') return process.env;
  return Object.fromEntries(names.map((name) => [name, process.env[name]]));
}

/** Calls executing in this process, by database and key: shared by every ledger, so none starts a call twice. */
const IN_FLIGHT = new Map<string, Promise<ToolResult>>();

/** Every run option checked before anything is written: a wrong type would change a call's identity or its effect. */
function checkRunOptions(options: ToolRunOptions): void {
  // Read as untyped input: a caller may be JavaScript.
  const o = options as Record<string, unknown>;
  const bad = (message: string): InvalidArgumentError => new InvalidArgumentError(`tool call option ${message}`);
  if (o.timeoutMs !== undefined) assertPositiveInt('timeoutMs', o.timeoutMs);
  if (o.maxOutputBytes !== undefined) assertPositiveInt('maxOutputBytes', o.maxOutputBytes, { allowZero: true });
  if (o.onInDoubt !== undefined && o.onInDoubt !== 'throw' && o.onInDoubt !== 'execute') {
    throw bad(`onInDoubt must be 'throw' or 'execute', got ${JSON.stringify(o.onInDoubt)}`);
  }
  if (o.cwd !== undefined && typeof o.cwd !== 'string') throw bad(`cwd must be a string, got ${typeof o.cwd}`);
  const env = (o.env ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string')
      throw bad(`env.${name} must be a string, got ${value === null ? 'null' : typeof value}`);
  }
  const lease = o.lease as Record<string, unknown> | undefined;
  if (
    lease !== undefined &&
    (typeof lease.itemId !== 'string' || !Number.isSafeInteger(lease.epoch) || typeof lease.workerId !== 'string')
  ) {
    throw bad('lease must be a Lease from LeaseManager.acquire (itemId, epoch, workerId)');
  }
}

/** A copy of an environment without unset variables. */
function snapshotEnv(source: Record<string, string | undefined>): Readonly<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) if (value !== undefined) env[name] = value;
  return Object.freeze(env);
}

/** Records shell tool calls and replays their results instead of running them again. */
export class ToolLedger {
  readonly ttlMs: number;
  readonly maxOutputBytes: number;
  readonly metrics: Metrics;
  readonly #db: AgentDatabase;
  readonly #baseEnv: Readonly<Record<string, string>>;
  /** sha256 state after the base environment's canonical JSON: copied per call instead of rehashing it. */
  readonly #baseEnvHash: Hash;
  readonly #get: Statement;
  readonly #start: Statement;
  readonly #unstart: Statement;
  readonly #disown: Statement;
  readonly #finish: Statement;
  readonly #forget: Statement;
  readonly #cleanup: Statement;
  #executed = 0;
  #replayed = 0;

  constructor(db: AgentDatabase, options: ToolLedgerOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30 * 24 * 3600 * 1000;
    assertPositiveInt('ttlMs', this.ttlMs);
    this.maxOutputBytes = options.maxOutputBytes ?? 10 * 1024 * 1024;
    assertPositiveInt('maxOutputBytes', this.maxOutputBytes, { allowZero: true });
    this.metrics = options.metrics ?? new Metrics();
    this.#baseEnv = snapshotEnv(options.env ?? inherited(options.inheritEnv ?? INHERITED_ENV));
    this.#baseEnvHash = hashEnv(this.#baseEnv);
    this.#db = db;
    const s = db.sqlite;
    this.#get =
      s.prepare(`SELECT status, exit_code, timed_out, truncated, stdout, stderr, duration_ms, started_at, owner_pid,
      owner_start, expires_at FROM tool_calls WHERE key = ?`);
    this.#start = s.prepare(`
      INSERT OR REPLACE INTO tool_calls (key, command, cwd, status, owner_pid, owner_start, started_at, lease_item, lease_epoch)
      VALUES (@key, @command, @cwd, 'started', @pid, @ownerStart, @startedAt, @leaseItem, @leaseEpoch)`);
    const ours = "key = @key AND status = 'started' AND started_at = @startedAt AND owner_pid = @pid";
    this.#unstart = s.prepare(`DELETE FROM tool_calls WHERE ${ours}`);
    this.#disown = s.prepare(`UPDATE tool_calls SET owner_pid = NULL, owner_start = NULL WHERE ${ours}`);
    this.#finish = s.prepare(`
      UPDATE tool_calls SET status = 'completed', exit_code = @exitCode, timed_out = @timedOut, truncated = @truncated,
        stdout = @stdout, stderr = @stderr, duration_ms = @durationMs, completed_at = @now, expires_at = @expiresAt
      WHERE ${ours}`);
    this.#forget = s.prepare('DELETE FROM tool_calls WHERE key = ?');
    this.#cleanup = s.prepare("DELETE FROM tool_calls WHERE status = 'completed' AND expires_at <= ?");
  }

  /**
   * The identity of a call: sha256 of options.key when given, else of the command, the absolute cwd and the effective
   * environment (the ledger's base environment with options.env on top).
   */
  keyOf(command: string, options: Pick<ToolRunOptions, 'cwd' | 'env' | 'key'> = {}): string {
    if (options.key !== undefined) {
      assertId('key', options.key);
      // A different shape from the derived identity, so a caller's key never equals a derived one.
      return sha256Hex(canonicalJson({ key: options.key }));
    }
    const hash = options.env ? hashEnv({ ...this.#baseEnv, ...options.env }) : this.#baseEnvHash.copy();
    return hash.update(canonicalJson({ command, cwd: resolve(options.cwd ?? '.') })).digest('hex');
  }

  /**
   * Replays the recorded result of an identical earlier call, or records a 'started' entry, executes the command
   * through the shell and records the result. A call left 'started' by a crash is in doubt: it is reported with
   * InDoubtToolCallError unless onInDoubt is 'execute'. A command that cannot be started throws ToolSpawnError and
   * leaves no entry.
   */
  async run(command: string, options: ToolRunOptions = {}): Promise<ToolResult> {
    if (typeof command !== 'string' || command.trim() === '') {
      throw new InvalidArgumentError(`command must be a non-empty string, got ${JSON.stringify(command)}`);
    }
    checkRunOptions(options);
    const cwd = resolve(options.cwd ?? '.');
    const key = this.keyOf(command, options);
    const env = options.env ? { ...this.#baseEnv, ...options.env } : this.#baseEnv;
    const replay = this.#replay(this.#get.get(key) as ToolRow | undefined);
    if (replay) return replay;
    // The same call running in this process (through any ledger on this database) is shared, not started again.
    const running = `${this.#db.path}\0${key}`;
    const inFlight = IN_FLIGHT.get(running);
    if (inFlight) return inFlight;
    // #execute writes the started row synchronously, before its first await.
    const execution = this.#execute(key, command, cwd, env, options).finally(() => IN_FLIGHT.delete(running));
    IN_FLIGHT.set(running, execution);
    return execution;
  }

  /** Drops the entry for a call (e.g. to resolve an in-doubt call after checking by hand). Returns whether one existed. */
  forget(command: string, options: Pick<ToolRunOptions, 'cwd' | 'env' | 'key'> = {}): boolean {
    const key = this.keyOf(command, options);
    return this.#db.writeTransaction(() => this.#forget.run(key).changes) > 0;
  }

  /** Deletes completed entries past their expiry; returns how many. */
  cleanup(): number {
    const now = this.#db.clock.now();
    return this.#db.writeTransaction(() => this.#cleanup.run(now).changes);
  }

  stats(): ToolLedgerStats {
    const total = this.#executed + this.#replayed;
    return { executed: this.#executed, replayed: this.#replayed, replayRate: total === 0 ? 0 : this.#replayed / total };
  }

  #replay(row: ToolRow | undefined): ToolResult | undefined {
    if (row?.status !== 'completed' || (row.expires_at !== null && row.expires_at <= this.#db.clock.now())) {
      return undefined;
    }
    this.#replayed++;
    this.metrics.increment('toolCallsReplayed');
    return result(
      {
        exitCode: row.exit_code,
        stdout: row.stdout ?? Buffer.alloc(0),
        stderr: row.stderr ?? Buffer.alloc(0),
        timedOut: row.timed_out === 1,
        truncated: row.truncated === 1,
      },
      row.duration_ms ?? 0,
      true,
    );
  }

  async #execute(
    key: string,
    command: string,
    cwd: string,
    env: Readonly<Record<string, string>>,
    options: ToolRunOptions,
  ): Promise<ToolResult> {
    const lease = options.lease;
    // Decide and claim under the write lock, so two processes cannot both start the same call.
    const claim = this.#db.writeTransaction((): { replay: ToolResult } | { startedAt: number } => {
      const row = this.#get.get(key) as ToolRow | undefined;
      const replay = this.#replay(row);
      if (replay) return { replay };
      // Started by a process that is still running (same pid and start time): in progress elsewhere, never run it
      // alongside. A pid now used by another process means the owner is gone: the call is in doubt. This process's own
      // calls in progress were shared above, so a row of ours here is one this process left unfinished: in doubt.
      if (
        row?.status === 'started' &&
        row.owner_pid !== null &&
        row.owner_pid !== process.pid &&
        isSameProcess(row.owner_pid, row.owner_start)
      ) {
        throw new ToolCallInProgressError(key, command, row.owner_pid);
      }
      if (row?.status === 'started' && (options.onInDoubt ?? 'throw') === 'throw' && mutant !== 'rerun-in-doubt') {
        this.metrics.increment('toolCallsInDoubt');
        throw new InDoubtToolCallError(key, command, row.started_at);
      }
      const startedAt = this.#db.clock.now();
      if (lease) this.#db.fencing.check(lease, 'tool-start', startedAt);
      this.#start.run({
        key,
        command,
        cwd,
        pid: process.pid,
        ownerStart: ownProcessStartTime(),
        startedAt,
        leaseItem: lease?.itemId ?? null,
        leaseEpoch: lease?.epoch ?? null,
      });
      return { startedAt };
    });
    if ('replay' in claim) return claim.replay;
    crashPoint('tool.after-start-row');
    const ours = { key, startedAt: claim.startedAt, pid: process.pid };

    const t0 = performance.now();
    let output: Output;
    try {
      output = await runInOwnGroup(command, cwd, env, options.timeoutMs, options.maxOutputBytes ?? this.maxOutputBytes);
    } catch (cause) {
      // Nothing ran: remove the claim, so the call runs normally once whatever stopped it (a missing cwd) is fixed.
      this.#db.writeTransaction(() => this.#unstart.run(ours));
      throw new ToolSpawnError(command, cwd, { cause });
    }
    const durationMs = performance.now() - t0;
    crashPoint('tool.before-result-row');
    this.#executed++;
    this.metrics.increment('toolCallsExecuted');
    const now = this.#db.clock.now();
    try {
      this.#db.writeTransaction(() => {
        // Refused (LeaseLostError): the row stays started, so the lease's new holder finds the call in doubt.
        if (lease) this.#db.fencing.check(lease, 'tool-finish', now);
        this.#finish.run({
          ...ours,
          exitCode: output.exitCode,
          timedOut: output.timedOut ? 1 : 0,
          truncated: output.truncated ? 1 : 0,
          stdout: output.stdout,
          stderr: output.stderr,
          durationMs,
          now,
          expiresAt: now + this.ttlMs,
        });
      });
    } catch (error) {
      // This process no longer owns the call: its owner fields are cleared, so the new holder finds it in doubt now
      // (not "in progress" for as long as this process lives).
      if (error instanceof LeaseLostError) this.#db.writeTransaction(() => this.#disown.run(ours));
      throw error;
    }
    return result(output, durationMs, false);
  }
}

function result(output: Output, durationMs: number, replayed: boolean): ToolResult {
  return {
    exitCode: output.exitCode,
    stdout: output.stdout.toString('utf8'),
    stderr: output.stderr.toString('utf8'),
    stdoutBytes: output.stdout,
    stderrBytes: output.stderr,
    timedOut: output.timedOut,
    truncated: output.truncated,
    durationMs,
    replayed,
  };
}

/** Collects a stream's bytes up to a limit; the rest is read and dropped, so the writer is never blocked. */
class CappedOutput {
  readonly #chunks: Buffer[] = [];
  #size = 0;
  truncated = false;

  constructor(readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.#size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#chunks.push(kept);
    this.#size += kept.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks, this.#size);
  }
}

/**
 * Runs a shell command in a process group of its own, collecting stdout and stderr byte for byte (at most maxBytes
 * each). Without a timeout it resolves on 'close': the shell has exited and every process holding its output open
 * (say, one it started in the background) has closed it, so the output is complete. With a timeout it resolves at the
 * timeout at the latest: the group is SIGKILLed and the pipes are closed on our side without waiting, since a process
 * outside the group (setsid, a daemon) may keep them open far longer. Rejects if the command cannot be started.
 * (node:child_process rather than execa here: in a worker running 400 tool calls, execa's per-call machinery raised
 * the peak RSS by about 60 MB, spawn by about 13 MB.)
 */
function runInOwnGroup(
  command: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number | undefined,
  maxBytes: number,
): Promise<Output> {
  return new Promise((resolve, reject) => {
    // A copy: Node adds variables of its own to the object it is given (NODE_V8_COVERAGE when coverage is collected).
    const child = spawn(command, {
      shell: true,
      cwd,
      env: { ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid === undefined) {
      // Not started (missing cwd, no shell, no file descriptors left): 'error' follows with the reason.
      child.once('error', reject);
      return;
    }
    crashPoint('tool.after-spawn');
    const stdout = new CappedOutput(maxBytes);
    const stderr = new CappedOutput(maxBytes);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let settled = false;
    const settle = (exitCode: number | null, timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        exitCode,
        stdout: stdout.bytes(),
        stderr: stderr.bytes(),
        timedOut,
        truncated: stdout.truncated || stderr.truncated,
      });
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            killGroup(child.pid);
            child.stdout.destroy();
            child.stderr.destroy();
            settle(null, true);
          }, timeoutMs);
    // Once started, 'error' could only report a failed kill or message, which this code never asks of the child.
    child.on('error', () => undefined);
    child.once('close', (code) => settle(code, false));
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group already exited.
  }
}
