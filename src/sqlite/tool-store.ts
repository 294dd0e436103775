import type { Statement } from 'better-sqlite3';
import type { Fence } from '../core/fence.js';
import type { AgentDatabase } from './db.js';
import type { NewToolCall, RecordedToolCall, ToolCallResult, ToolCallRow, ToolStore } from '../store.js';

// The replay path: positional parameters, no object bound, only the columns a replay returns.
const RECORDED = `SELECT exit_code, timed_out, truncated, stdout, stderr, duration_ms FROM tool_calls
  WHERE key = ? AND status = 'completed' AND (expires_at IS NULL OR expires_at > ?)`;

// Parameters (now, now, key). The lease's state is read for a started call only.
const GET = `SELECT status, claim, exit_code, timed_out, truncated, stdout, stderr, duration_ms, started_at, owner_host,
    owner_pid_space, owner_pid, owner_start, lease_item,
    status = 'completed' AND (expires_at IS NULL OR expires_at > ?) AS live,
    CASE WHEN status = 'started' AND lease_item IS NOT NULL THEN EXISTS (SELECT 1 FROM work_items w
      WHERE w.id = lease_item AND w.epoch = lease_epoch AND w.status = 'leased' AND w.lease_expires_at > ?)
    ELSE 0 END AS lease_held
  FROM tool_calls WHERE key = ?`;

const OURS = "key = @key AND claim = @claim AND status = 'started'";

/** The tool_calls table on SQLite: a claim compares and sets the row, fenced and logged, in one write transaction. */
export class SqliteToolStore implements ToolStore {
  readonly #db: AgentDatabase;
  readonly #recorded: Statement;
  readonly #get: Statement;
  readonly #read: Statement;
  readonly #start: Statement;
  readonly #finish: Statement;
  readonly #disown: Statement;
  readonly #unclaim: Statement;
  readonly #forget: Statement;
  readonly #cleanup: Statement;

  constructor(db: AgentDatabase) {
    this.#db = db;
    const s = db.sqlite;
    this.#recorded = s.prepare(RECORDED);
    this.#get = s.prepare(GET);
    this.#read = s.prepare('SELECT claim, status FROM tool_calls WHERE key = ?');
    this.#start = s.prepare(`
      INSERT OR REPLACE INTO tool_calls (key, command, cwd, status, claim, started_at, owner_host, owner_pid_space,
        owner_pid, owner_start, lease_item, lease_epoch)
      VALUES (@key, @command, @cwd, 'started', @claim, @now, @holder_host, @holder_pid_space, @holder_pid,
        @holder_start, @leaseItem, @leaseEpoch)`);
    this.#finish = s.prepare(`
      UPDATE tool_calls SET status = 'completed', exit_code = @exitCode, timed_out = @timedOut, truncated = @truncated,
        stdout = @stdout, stderr = @stderr, duration_ms = @durationMs, completed_at = @now, expires_at = @expiresAt
      WHERE ${OURS}`);
    this.#disown = s.prepare(`
      UPDATE tool_calls SET owner_host = NULL, owner_pid_space = NULL, owner_pid = NULL, owner_start = NULL
      WHERE ${OURS}`);
    this.#unclaim = s.prepare(`DELETE FROM tool_calls WHERE ${OURS}`);
    this.#forget = s.prepare('DELETE FROM tool_calls WHERE key = ?');
    this.#cleanup = s.prepare("DELETE FROM tool_calls WHERE status = 'completed' AND expires_at <= ?");
  }

  async recorded(key: string): Promise<RecordedToolCall | undefined> {
    return this.#recorded.get(key, this.#db.clock.now()) as RecordedToolCall | undefined;
  }

  async get(key: string): Promise<ToolCallRow | undefined> {
    const now = this.#db.clock.now();
    return this.#get.get(now, now, key) as ToolCallRow | undefined;
  }

  async claim(
    call: NewToolCall,
    read: Pick<ToolCallRow, 'claim' | 'status'> | null,
    fence: Fence | undefined,
  ): Promise<boolean> {
    return this.#db.writeTransaction(() => {
      const now = this.#db.clock.now();
      const current = this.#read.get(call.key) as Pick<ToolCallRow, 'claim' | 'status'> | undefined;
      if (current?.claim !== read?.claim || current?.status !== read?.status) return false;
      if (fence) this.#db.fencing.check(fence, 'tool-start', now);
      this.#start.run({
        ...call.owner,
        key: call.key,
        command: call.command,
        cwd: call.cwd,
        claim: call.claim,
        now,
        leaseItem: fence?.itemId ?? null,
        leaseEpoch: fence?.epoch ?? null,
      });
      return true;
    });
  }

  async finish(
    key: string,
    claim: string,
    result: ToolCallResult,
    ttlMs: number,
    fence: Fence | undefined,
  ): Promise<boolean> {
    return this.#db.writeTransaction(() => {
      const now = this.#db.clock.now();
      // Refused (LeaseLostError): the row stays started, so the lease's new holder finds the call in doubt.
      if (fence) this.#db.fencing.check(fence, 'tool-finish', now);
      const { changes } = this.#finish.run({
        key,
        claim,
        exitCode: result.exitCode,
        timedOut: result.timedOut ? 1 : 0,
        truncated: result.truncated ? 1 : 0,
        stdout: result.stdout,
        stderr: result.stderr,
        durationMs: result.durationMs,
        now,
        expiresAt: now + ttlMs,
      });
      return changes > 0;
    });
  }

  async disown(key: string, claim: string): Promise<void> {
    this.#db.writeTransaction(() => this.#disown.run({ key, claim }));
  }

  async unclaim(key: string, claim: string): Promise<void> {
    this.#db.writeTransaction(() => this.#unclaim.run({ key, claim }));
  }

  async forget(key: string): Promise<boolean> {
    return this.#db.writeTransaction(() => this.#forget.run(key).changes) > 0;
  }

  async cleanup(): Promise<number> {
    const now = this.#db.clock.now();
    return this.#db.writeTransaction(() => this.#cleanup.run(now).changes);
  }
}
