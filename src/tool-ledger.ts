import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import type { Statement } from 'better-sqlite3';
import type { AgentDatabase } from './db.js';
import { isAlive } from './process-identity.js';
import { InDoubtToolCallError, ToolCallInProgressError } from './errors.js';
import { sha256Hex } from './evidence.js';
import { canonicalJson } from './json-state.js';
import { Metrics } from './metrics.js';
import { InvalidArgumentError, assertPositiveInt } from './validate.js';

export interface ToolRunOptions {
  cwd?: string;
  /** Extra environment variables; part of the call's identity. */
  env?: Record<string, string>;
  /** Kill the command after this many ms (the timed-out result is recorded like any other). */
  timeoutMs?: number;
  /** What to do with a call that was started but never finished: 'throw' (default) or 'execute' it again. */
  onInDoubt?: 'throw' | 'execute';
}

export interface ToolResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
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
  metrics?: Metrics;
}

interface ToolRow {
  status: 'started' | 'completed';
  exit_code: number | null;
  timed_out: 0 | 1;
  stdout: Buffer | null;
  stderr: Buffer | null;
  duration_ms: number | null;
  started_at: number;
  owner_pid: number | null;
  expires_at: number | null;
}

/** Records shell tool calls and replays their results instead of running them again. */
export class ToolLedger {
  readonly ttlMs: number;
  readonly metrics: Metrics;
  readonly #db: AgentDatabase;
  readonly #inFlight = new Map<string, Promise<ToolResult>>();
  readonly #get: Statement;
  readonly #start: Statement;
  readonly #finish: Statement;
  readonly #forget: Statement;
  readonly #cleanup: Statement;
  #executed = 0;
  #replayed = 0;

  constructor(db: AgentDatabase, options: ToolLedgerOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30 * 24 * 3600 * 1000;
    assertPositiveInt('ttlMs', this.ttlMs);
    this.metrics = options.metrics ?? new Metrics();
    this.#db = db;
    const s = db.sqlite;
    this.#get = s.prepare(`SELECT status, exit_code, timed_out, stdout, stderr, duration_ms, started_at, owner_pid, expires_at
      FROM tool_calls WHERE key = ?`);
    this.#start = s.prepare(`
      INSERT OR REPLACE INTO tool_calls (key, command, cwd, status, owner_pid, started_at)
      VALUES (?, ?, ?, 'started', ?, ?)`);
    this.#finish = s.prepare(`
      UPDATE tool_calls SET status = 'completed', exit_code = @exitCode, timed_out = @timedOut, stdout = @stdout,
        stderr = @stderr, duration_ms = @durationMs, completed_at = @now, expires_at = @expiresAt
      WHERE key = @key AND status = 'started' AND started_at = @startedAt`);
    this.#forget = s.prepare('DELETE FROM tool_calls WHERE key = ?');
    this.#cleanup = s.prepare("DELETE FROM tool_calls WHERE status = 'completed' AND expires_at <= ?");
  }

  /** The identity of a call: sha256 of the canonical command, absolute cwd and extra environment. */
  static keyOf(command: string, options: Pick<ToolRunOptions, 'cwd' | 'env'> = {}): string {
    return sha256Hex(canonicalJson({ command, cwd: resolve(options.cwd ?? '.'), env: options.env ?? {} }));
  }

  /**
   * Replays the recorded result of an identical earlier call, or records a 'started' entry, executes the command
   * through the shell and records the result. A call left 'started' by a crash is in doubt: it is reported with
   * InDoubtToolCallError unless onInDoubt is 'execute'.
   */
  async run(command: string, options: ToolRunOptions = {}): Promise<ToolResult> {
    if (typeof command !== 'string' || command.trim() === '') {
      throw new InvalidArgumentError(`command must be a non-empty string, got ${JSON.stringify(command)}`);
    }
    if (options.timeoutMs !== undefined) assertPositiveInt('timeoutMs', options.timeoutMs);
    const key = ToolLedger.keyOf(command, options);
    const replay = this.#replay(this.#get.get(key) as ToolRow | undefined);
    if (replay) return replay;
    const inFlight = this.#inFlight.get(key);
    if (inFlight) return inFlight;
    const execution = this.#execute(key, command, options).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, execution);
    return execution;
  }

  /** Drops the entry for a call (e.g. to resolve an in-doubt call after checking by hand). Returns whether one existed. */
  forget(command: string, options: Pick<ToolRunOptions, 'cwd' | 'env'> = {}): boolean {
    const key = ToolLedger.keyOf(command, options);
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
    return {
      exitCode: row.exit_code,
      stdout: row.stdout?.toString('utf8') ?? '',
      stderr: row.stderr?.toString('utf8') ?? '',
      timedOut: row.timed_out === 1,
      durationMs: row.duration_ms ?? 0,
      replayed: true,
    };
  }

  async #execute(key: string, command: string, options: ToolRunOptions): Promise<ToolResult> {
    const cwd = resolve(options.cwd ?? '.');
    // Decide and claim under the write lock, so two processes cannot both start the same call.
    const claim = this.#db.writeTransaction((): { replay: ToolResult } | { startedAt: number } => {
      const row = this.#get.get(key) as ToolRow | undefined;
      const replay = this.#replay(row);
      if (replay) return { replay };
      // Started by a process that is still alive: not in doubt but in progress elsewhere; never run it alongside.
      if (row?.status === 'started' && row.owner_pid !== null && row.owner_pid !== process.pid && isAlive(row.owner_pid)) {
        throw new ToolCallInProgressError(key, command, row.owner_pid);
      }
      if (row?.status === 'started' && (options.onInDoubt ?? 'throw') === 'throw') {
        this.metrics.increment('toolCallsInDoubt');
        throw new InDoubtToolCallError(key, command, row.started_at);
      }
      const startedAt = this.#db.clock.now();
      this.#start.run(key, command, cwd, process.pid, startedAt);
      return { startedAt };
    });
    if ('replay' in claim) return claim.replay;

    const t0 = performance.now();
    const { exitCode, stdout, stderr, timedOut } = await runInOwnGroup(command, cwd, options.env ?? {}, options.timeoutMs);
    const durationMs = performance.now() - t0;
    const now = this.#db.clock.now();
    this.#db.writeTransaction(() =>
      this.#finish.run({
        key,
        startedAt: claim.startedAt,
        exitCode,
        timedOut: timedOut ? 1 : 0,
        stdout,
        stderr,
        durationMs,
        now,
        expiresAt: now + this.ttlMs,
      }),
    );
    this.#executed++;
    this.metrics.increment('toolCallsExecuted');
    return {
      exitCode,
      stdout: stdout.toString('utf8'),
      stderr: stderr.toString('utf8'),
      timedOut,
      durationMs,
      replayed: false,
    };
  }
}

/**
 * Runs a shell command in a process group of its own (so a timeout kills the shell and everything it started),
 * collecting stdout and stderr byte for byte. A command that cannot be started ends with exit code null and the
 * reason on stderr. (node:child_process rather than execa here: in a worker running 400 tool calls, execa's
 * per-call machinery raised the peak RSS by about 60 MB, spawn by about 13 MB.)
 */
function runInOwnGroup(
  command: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number | undefined,
): Promise<{ exitCode: number | null; stdout: Buffer; stderr: Buffer; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    let timedOut = false;
    let settled = false;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killGroup(child.pid);
          }, timeoutMs);
    const settle = (exitCode: number | null, failure?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (failure) err.push(Buffer.from(failure.message));
      resolve({ exitCode, stdout: Buffer.concat(out), stderr: Buffer.concat(err), timedOut });
    };
    child.once('error', (error) => settle(null, error));
    child.once('close', (code) => settle(code));
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
