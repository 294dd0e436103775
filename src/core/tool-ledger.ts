import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { crashPoint } from '../crash-points.js';
import { InDoubtToolCallError, LeaseLostError, ToolResultNotRecordedError, ToolSpawnError } from '../errors.js';
import { ownHolderIdentity } from '../holder-identity.js';
import { Metrics } from '../metrics.js';
import { mutant } from '../mutants.js';
import type { AgentStore, RecordedToolCall, ToolStore } from '../store.js';
import { assertPositiveInt } from '../validate.js';
import {
  ToolCallIdentity,
  checkCall,
  toolResult,
  type Output,
  type ToolLedgerOptions,
  type ToolLedgerStats,
  type ToolResult,
  type ToolRunOptions,
} from './tool-call.js';
import { ownerStillRunning } from './tool-owner.js';
import { runInOwnGroup } from './tool-process.js';

export {
  INHERITED_ENV,
  type ToolLedgerOptions,
  type ToolLedgerStats,
  type ToolResult,
  type ToolRunOptions,
} from './tool-call.js';

/**
 * Calls executing in this process, by database identity and key: shared by every ledger on the database, whatever
 * name or address it was opened by, so none starts a call twice.
 */
const IN_FLIGHT = new Map<string, Promise<ToolResult>>();

const NO_BYTES = Buffer.alloc(0);

/**
 * Records shell tool calls and replays their results instead of running them again; on either store. A call runs at
 * most once across processes (and machines, on PostgreSQL); a call cut off by a crash is in doubt, never silently
 * re-run. Expiry is by the store's clock.
 */
export class ToolLedger {
  readonly ttlMs: number;
  readonly maxOutputBytes: number;
  readonly metrics: Metrics;
  readonly #store: ToolStore;
  readonly #database: string;
  readonly #calls: ToolCallIdentity;
  #executed = 0;
  #replayed = 0;

  constructor(db: AgentStore, options: ToolLedgerOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30 * 24 * 3600 * 1000;
    assertPositiveInt('ttlMs', this.ttlMs);
    this.maxOutputBytes = options.maxOutputBytes ?? 10 * 1024 * 1024;
    assertPositiveInt('maxOutputBytes', this.maxOutputBytes, { allowZero: true });
    this.metrics = options.metrics ?? new Metrics();
    this.#calls = new ToolCallIdentity(options);
    this.#store = db.toolStore;
    this.#database = db.identity;
  }

  /**
   * The identity of a call: sha256 of options.key when given, else of the command, the absolute cwd and the effective
   * environment (the ledger's base environment with options.env on top). The same on both stores.
   */
  keyOf(command: string, options: Pick<ToolRunOptions, 'cwd' | 'env' | 'key'> = {}): string {
    return this.#calls.keyOf(command, options);
  }

  /**
   * Replays the recorded result of an identical earlier call, or claims the call, executes the command through the
   * shell and records the result. A call whose owner is gone (its process, or the lease it ran under) is in doubt:
   * InDoubtToolCallError unless onInDoubt is 'execute'. One whose owner may still be running it:
   * ToolCallInProgressError. A command that cannot be started throws ToolSpawnError and leaves no entry.
   */
  async run(command: string, options: ToolRunOptions = {}): Promise<ToolResult> {
    const cwd = checkCall(command, options);
    const key = this.keyOf(command, options);
    const recorded = await this.#store.recorded(key);
    if (recorded) return this.#replay(recorded);
    // The same call running in this process (through any ledger on this database, by any name) is shared, not
    // started again.
    const running = `${this.#database}\0${key}`;
    const inFlight = IN_FLIGHT.get(running);
    if (inFlight) return inFlight;
    const execution = this.#claimAndExecute(key, command, cwd, options).finally(() => IN_FLIGHT.delete(running));
    IN_FLIGHT.set(running, execution);
    return execution;
  }

  /** Drops the entry for a call (e.g. to resolve an in-doubt call after checking by hand). Returns whether one existed. */
  async forget(command: string, options: Pick<ToolRunOptions, 'cwd' | 'env' | 'key'> = {}): Promise<boolean> {
    return this.#store.forget(this.keyOf(command, options));
  }

  /** Deletes completed entries past their expiry by the store's clock; returns how many. */
  async cleanup(): Promise<number> {
    return this.#store.cleanup();
  }

  stats(): ToolLedgerStats {
    const total = this.#executed + this.#replayed;
    return { executed: this.#executed, replayed: this.#replayed, replayRate: total === 0 ? 0 : this.#replayed / total };
  }

  async #claimAndExecute(key: string, command: string, cwd: string, options: ToolRunOptions): Promise<ToolResult> {
    // Read now that this call is registered in flight: what was read before may predate a result that another call
    // of this process recorded before it stopped sharing. Each pass either decides or finds that another caller
    // changed the row in between, and reads it again.
    for (;;) {
      const row = await this.#store.get(key);
      if (row?.live) return this.#replay(row);
      if (row?.status === 'started') {
        const running = ownerStillRunning(key, command, row);
        if (running) throw running;
        if ((options.onInDoubt ?? 'throw') === 'throw' && mutant !== 'rerun-in-doubt') {
          this.metrics.increment('toolCallsInDoubt');
          throw new InDoubtToolCallError(key, command, row.started_at);
        }
      }
      const claim = randomUUID();
      const call = { key, command, cwd, claim, owner: ownHolderIdentity() };
      if (await this.#store.claim(call, row ?? null, options.lease))
        return this.#execute(key, claim, command, cwd, options);
    }
  }

  async #execute(
    key: string,
    claim: string,
    command: string,
    cwd: string,
    options: ToolRunOptions,
  ): Promise<ToolResult> {
    crashPoint('tool.after-start-row');
    const env = this.#calls.envOf(options);
    const t0 = performance.now();
    let output: Output;
    try {
      output = await runInOwnGroup(command, cwd, env, options.timeoutMs, options.maxOutputBytes ?? this.maxOutputBytes);
    } catch (cause) {
      // Nothing ran: remove the claim, so the call runs normally once whatever stopped it (a missing cwd) is fixed. If
      // the store cannot be reached now, the row stays and the call is found in doubt.
      await this.#store.unclaim(key, claim).catch(() => undefined);
      throw new ToolSpawnError(command, cwd, { cause });
    }
    const durationMs = performance.now() - t0;
    crashPoint('tool.before-result-row');
    this.#executed++;
    this.metrics.increment('toolCallsExecuted');
    let recorded: boolean;
    try {
      recorded = await this.#store.finish(key, claim, { ...output, durationMs }, this.ttlMs, options.lease);
    } catch (error) {
      // Refused, the row stays started. This process no longer owns the call: its owner is cleared, so the lease's new
      // holder finds it in doubt now, not "in progress" for as long as this process lives. (If that cannot be written,
      // the caller still learns of the refusal, and the call is in doubt once this process ends.)
      if (error instanceof LeaseLostError) await this.#store.disown(key, claim).catch(() => undefined);
      throw error;
    }
    if (!recorded) throw new ToolResultNotRecordedError(command, key);
    return toolResult(output, durationMs, false);
  }

  #replay(row: RecordedToolCall): ToolResult {
    this.#replayed++;
    this.metrics.increment('toolCallsReplayed');
    const output: Output = {
      exitCode: row.exit_code,
      stdout: row.stdout ?? NO_BYTES,
      stderr: row.stderr ?? NO_BYTES,
      timedOut: row.timed_out === true || row.timed_out === 1,
      truncated: row.truncated === true || row.truncated === 1,
    };
    return toolResult(output, row.duration_ms ?? 0, true);
  }
}
