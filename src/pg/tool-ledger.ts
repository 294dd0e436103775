import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ToolLedgerApi } from '../backend.js';
import { crashPoint } from '../crash-points.js';
import { mutant } from '../mutants.js';
import { InDoubtToolCallError, ToolCallInProgressError, ToolSpawnError } from '../errors.js';
import type { Fence } from '../core/fence.js';
import { isSameProcess, ownPidSpace, ownProcessStartTime } from '../process-identity.js';
import {
  ToolLedgerBase,
  checkCall,
  toolResult,
  type Output,
  type ToolLedgerOptions,
  type ToolResult,
  type ToolRunOptions,
} from '../tool-call.js';
import { runInOwnGroup } from '../tool-process.js';
import type { PgDatabase } from './db.js';
import { leaseHeld, refusal } from './fence.js';

interface ToolRow {
  status: 'started' | 'completed';
  claim: string;
  exit_code: number | null;
  timed_out: boolean;
  truncated: boolean;
  stdout: Buffer | null;
  stderr: Buffer | null;
  duration_ms: number | null;
  started_at: number;
  /** Completed and not expired by the server's clock: replayable. */
  live: boolean;
  owner_host: string | null;
  owner_pid_space: string | null;
  owner_pid: number | null;
  owner_start: string | null;
  lease_item: string | null;
  /** The lease the call started under is still held, by the server's clock. */
  lease_held: boolean;
}

const GET = `SELECT t.status, t.claim, t.exit_code, t.timed_out, t.truncated, t.stdout, t.stderr, t.duration_ms,
    t.started_at, t.owner_host, t.owner_pid_space, t.owner_pid, t.owner_start, t.lease_item,
    t.status = 'completed' AND (t.expires_at IS NULL OR t.expires_at > agentos_now_ms()) AS live,
    EXISTS (SELECT 1 FROM work_items w WHERE w.id = t.lease_item AND w.epoch = t.lease_epoch AND w.status = 'leased'
      AND w.lease_expires_at > agentos_now_ms()) AS lease_held
  FROM tool_calls t WHERE t.key = $1`;

// Under a lease ($1 item, $2 epoch, $3 holder) the item's row is share-locked until the commit, as for a checkpoint:
// no acquisition slips between the check and the write. Without one the fence always passes.
const fence = (fenced: boolean): string =>
  fenced ? `SELECT 1 FROM work_items WHERE ${leaseHeld()} FOR SHARE` : 'SELECT 1 WHERE $1::text IS NULL';
const LOG = (op: 'tool-start' | 'tool-finish', from: string, at: string): string =>
  `INSERT INTO lease_log (item_id, epoch, holder, op, at) SELECT $1, $2, $3, '${op}', ${at} FROM ${from}
    WHERE $1::text IS NOT NULL`;

// Writes a 'started' row: a new one, or in place of the row read with claim $12 and status $13 (a call in doubt, an
// expired result). Nothing is written when the row changed in between (another claim, or the owner recorded its
// result under the same claim): started_at comes back null.
const CLAIM = (fenced: boolean): string => `WITH fence AS (${fence(fenced)}),
  claimed AS (
    INSERT INTO tool_calls AS t (key, command, cwd, status, claim, started_at, owner_host, owner_pid_space, owner_pid,
      owner_start, lease_item, lease_epoch)
    SELECT $4, $5, $6, 'started', $7, agentos_now_ms(), $8, $9, $10, $11, $1, $2 FROM fence
    ON CONFLICT (key) DO UPDATE SET command = excluded.command, cwd = excluded.cwd, status = 'started',
      claim = excluded.claim, exit_code = NULL, timed_out = false, truncated = false, stdout = NULL, stderr = NULL,
      duration_ms = NULL, started_at = excluded.started_at, completed_at = NULL, expires_at = NULL,
      owner_host = excluded.owner_host, owner_pid_space = excluded.owner_pid_space, owner_pid = excluded.owner_pid,
      owner_start = excluded.owner_start, lease_item = excluded.lease_item, lease_epoch = excluded.lease_epoch
    WHERE t.claim = $12 AND t.status = $13
    RETURNING started_at),
  log AS (${LOG('tool-start', 'claimed', 'started_at')})
  SELECT (SELECT COUNT(*)::int FROM fence) AS fenced, (SELECT started_at FROM claimed) AS started_at`;

const FINISH = (fenced: boolean): string => `WITH fence AS (${fence(fenced)}),
  done AS (
    UPDATE tool_calls SET status = 'completed', exit_code = $6, timed_out = $7, truncated = $8, stdout = $9,
      stderr = $10, duration_ms = $11, completed_at = agentos_now_ms(), expires_at = agentos_now_ms() + $12
    WHERE key = $4 AND claim = $5 AND status = 'started' AND EXISTS (SELECT 1 FROM fence)
    RETURNING completed_at),
  log AS (${LOG('tool-finish', 'done', 'completed_at')})
  SELECT (SELECT COUNT(*)::int FROM fence) AS fenced`;

const OURS = "key = $1 AND claim = $2 AND status = 'started'";

/**
 * Calls executing in this process, by database identity and key: shared by every ledger on the database, whatever
 * address it was reached at, so none starts a call twice.
 */
const IN_FLIGHT = new Map<string, Promise<ToolResult>>();

/**
 * ToolLedger on PostgreSQL: the same calls, keys and results, for workers on several machines. A call started on
 * another machine (or in another container: another pid namespace) counts as in progress while the lease it runs
 * under is held, or, without a lease, until it is resolved with forget(): a process there cannot be seen from here.
 * Expiry is by the server's clock.
 */
export class PgToolLedger extends ToolLedgerBase implements ToolLedgerApi {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase, options: ToolLedgerOptions = {}) {
    super(options);
    this.#db = db;
  }

  /**
   * Replays the recorded result of an identical earlier call, or records a 'started' entry, executes the command and
   * records the result, as ToolLedger.run. A call whose owner is gone (its process, or its lease) is in doubt:
   * InDoubtToolCallError unless onInDoubt is 'execute'. One still running elsewhere: ToolCallInProgressError.
   */
  async run(command: string, options: ToolRunOptions = {}): Promise<ToolResult> {
    const cwd = checkCall(command, options);
    const key = this.keyOf(command, options);
    // The same call running in this process (through any ledger on this database, at any address) is shared, not
    // started again.
    const running = `${this.#db.identity}\0${key}`;
    const inFlight = IN_FLIGHT.get(running);
    if (inFlight) return inFlight;
    const execution = this.#run(key, command, cwd, options).finally(() => IN_FLIGHT.delete(running));
    IN_FLIGHT.set(running, execution);
    return execution;
  }

  /** Drops the entry for a call (e.g. to resolve an in-doubt call after checking by hand). Returns whether one existed. */
  async forget(command: string, options: Pick<ToolRunOptions, 'cwd' | 'env' | 'key'> = {}): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM tool_calls WHERE key = $1 RETURNING 1', [
      this.keyOf(command, options),
    ]);
    return rows.length > 0;
  }

  /** Deletes completed entries past their expiry by the server's clock; returns how many. */
  async cleanup(): Promise<number> {
    const rows = await this.#db.query(
      "DELETE FROM tool_calls WHERE status = 'completed' AND expires_at <= agentos_now_ms() RETURNING 1",
    );
    return rows.length;
  }

  async #run(key: string, command: string, cwd: string, options: ToolRunOptions): Promise<ToolResult> {
    // Each pass either decides or finds that another caller changed the row in between, and reads it again.
    for (;;) {
      const [row] = await this.#db.query<ToolRow>(GET, [key], 'agentos.tool.get');
      if (row?.live) return this.#replay(row);
      if (row?.status === 'started') {
        const busy = inProgress(key, command, row);
        if (busy) throw busy;
        if ((options.onInDoubt ?? 'throw') === 'throw' && mutant !== 'rerun-in-doubt') {
          this.metrics.increment('toolCallsInDoubt');
          throw new InDoubtToolCallError(key, command, row.started_at);
        }
      }
      const claim = randomUUID();
      if (await this.#claim(key, command, cwd, claim, row ?? null, options.lease)) {
        return this.#execute(key, claim, command, cwd, options);
      }
    }
  }

  /** Writes this call's 'started' row (fenced by the lease); false when the row changed since it was read. */
  async #claim(
    key: string,
    command: string,
    cwd: string,
    claim: string,
    replacing: Pick<ToolRow, 'claim' | 'status'> | null,
    lease: Fence | undefined,
  ): Promise<boolean> {
    const [row] = await this.#db.query<{ fenced: number; started_at: number | null }>(
      CLAIM(lease !== undefined),
      [
        ...fenceValues(lease),
        key,
        command,
        cwd,
        claim,
        hostname(),
        ownPidSpace(),
        process.pid,
        ownProcessStartTime(),
        replacing?.claim ?? null,
        replacing?.status ?? null,
      ],
      lease ? 'agentos.tool.claim-fenced' : 'agentos.tool.claim',
    );
    if (lease && row?.fenced === 0) throw await refusal(this.#db, lease, 'tool-start');
    return row?.started_at !== null && row?.started_at !== undefined;
  }

  async #execute(key: string, claim: string, command: string, cwd: string, options: ToolRunOptions) {
    crashPoint('tool.after-start-row');
    const env = this.identity.envOf(options);
    const t0 = performance.now();
    let output: Output;
    try {
      output = await runInOwnGroup(command, cwd, env, options.timeoutMs, options.maxOutputBytes ?? this.maxOutputBytes);
    } catch (cause) {
      // Nothing ran: remove the claim, so the call runs normally once whatever stopped it is fixed. (If the server
      // cannot be reached now, the row stays, and the call is found in doubt.)
      await this.#db.query(`DELETE FROM tool_calls WHERE ${OURS}`, [key, claim]).catch(() => undefined);
      throw new ToolSpawnError(command, cwd, { cause });
    }
    const durationMs = performance.now() - t0;
    crashPoint('tool.before-result-row');
    this.countExecuted();
    const lease = options.lease;
    const [row] = await this.#db.query<{ fenced: number }>(
      FINISH(lease !== undefined),
      [
        ...fenceValues(lease),
        key,
        claim,
        output.exitCode,
        output.timedOut,
        output.truncated,
        output.stdout,
        output.stderr,
        durationMs,
        this.ttlMs,
      ],
      lease ? 'agentos.tool.finish-fenced' : 'agentos.tool.finish',
    );
    if (lease && row?.fenced === 0) {
      const error = await refusal(this.#db, lease, 'tool-finish');
      // This process no longer owns the call: the row stays started without an owner, so the lease's new holder
      // finds it in doubt now, not "in progress" for as long as this process lives.
      await this.#db.query(
        `UPDATE tool_calls SET owner_host = NULL, owner_pid_space = NULL, owner_pid = NULL, owner_start = NULL WHERE ${OURS}`,
        [key, claim],
      );
      throw error;
    }
    return toolResult(output, durationMs, false);
  }

  #replay(row: ToolRow): ToolResult {
    const output: Output = {
      exitCode: row.exit_code,
      stdout: row.stdout ?? Buffer.alloc(0),
      stderr: row.stderr ?? Buffer.alloc(0),
      timedOut: row.timed_out,
      truncated: row.truncated,
    };
    return this.replayed(output, row.duration_ms ?? 0);
  }
}

function fenceValues(lease: Fence | undefined): unknown[] {
  return [lease?.itemId ?? null, lease?.epoch ?? null, lease?.workerId ?? null];
}

/** Whether a started call's owner may still be running it (the error to throw), or is gone (undefined: in doubt). */
function inProgress(key: string, command: string, row: ToolRow): ToolCallInProgressError | undefined {
  // Disowned after its lease was lost, or started by this process (whose own calls in progress are shared).
  if (row.owner_pid === null || (row.owner_pid === process.pid && samePidSpace(row))) return undefined;
  if (samePidSpace(row)) {
    return isSameProcess(row.owner_pid, row.owner_start)
      ? new ToolCallInProgressError(key, command, row.owner_pid)
      : undefined;
  }
  // Another machine or pid namespace: its process cannot be seen from here. A lease it ran under that is no longer held shows that it
  // is gone, or fenced off (its result would be refused).
  if (row.lease_item !== null && !row.lease_held) return undefined;
  return new ToolCallInProgressError(key, command, row.owner_pid, row.owner_host ?? 'unknown');
}

/** Whether the row's owner pid names a process this one can see: same boot and pid namespace (or, unknown, host). */
function samePidSpace(row: ToolRow): boolean {
  const space = ownPidSpace();
  return space !== null ? row.owner_pid_space === space : row.owner_pid_space === null && row.owner_host === hostname();
}
