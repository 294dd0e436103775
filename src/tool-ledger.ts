import { performance } from 'node:perf_hooks';
import type { Statement } from 'better-sqlite3';
import type { ToolLedgerApi } from './backend.js';
import type { AgentDatabase } from './db.js';
import { isSameProcess, ownProcessStartTime } from './process-identity.js';
import { crashPoint } from './crash-points.js';
import { mutant } from './mutants.js';
import { InDoubtToolCallError, LeaseLostError, ToolCallInProgressError, ToolSpawnError } from './errors.js';
import {
  ToolLedgerBase,
  checkCall,
  toolResult,
  type Output,
  type ToolLedgerOptions,
  type ToolResult,
  type ToolRunOptions,
} from './tool-call.js';
import { runInOwnGroup } from './tool-process.js';

export {
  INHERITED_ENV,
  type ToolLedgerOptions,
  type ToolLedgerStats,
  type ToolResult,
  type ToolRunOptions,
} from './tool-call.js';

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

/**
 * Calls executing in this process, by database identity and key: shared by every ledger on the database, whatever
 * name it was opened under, so none starts a call twice.
 */
const IN_FLIGHT = new Map<string, Promise<ToolResult>>();

/** Records shell tool calls and replays their results instead of running them again. */
export class ToolLedger extends ToolLedgerBase implements ToolLedgerApi {
  readonly #db: AgentDatabase;
  readonly #get: Statement;
  readonly #start: Statement;
  readonly #unstart: Statement;
  readonly #disown: Statement;
  readonly #finish: Statement;
  readonly #forget: Statement;
  readonly #cleanup: Statement;

  constructor(db: AgentDatabase, options: ToolLedgerOptions = {}) {
    super(options);
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
   * Replays the recorded result of an identical earlier call, or records a 'started' entry, executes the command
   * through the shell and records the result. A call left 'started' by a crash is in doubt: it is reported with
   * InDoubtToolCallError unless onInDoubt is 'execute'. A command that cannot be started throws ToolSpawnError and
   * leaves no entry.
   */
  async run(command: string, options: ToolRunOptions = {}): Promise<ToolResult> {
    const cwd = checkCall(command, options);
    const key = this.keyOf(command, options);
    const env = this.identity.envOf(options);
    const replay = this.#replay(this.#get.get(key) as ToolRow | undefined);
    if (replay) return replay;
    // The same call running in this process (through any ledger on this database, by any name) is shared, not
    // started again.
    const running = `${this.#db.identity}\0${key}`;
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

  #replay(row: ToolRow | undefined): ToolResult | undefined {
    if (row?.status !== 'completed' || (row.expires_at !== null && row.expires_at <= this.#db.clock.now())) {
      return undefined;
    }
    return this.replayed(
      {
        exitCode: row.exit_code,
        stdout: row.stdout ?? Buffer.alloc(0),
        stderr: row.stderr ?? Buffer.alloc(0),
        timedOut: row.timed_out === 1,
        truncated: row.truncated === 1,
      },
      row.duration_ms ?? 0,
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
    this.countExecuted();
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
    return toolResult(output, durationMs, false);
  }
}
