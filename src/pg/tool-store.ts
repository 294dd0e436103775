import type { Fence } from '../core/fence.js';
import type { NewToolCall, RecordedToolCall, ToolCallResult, ToolCallRow, ToolStore } from '../store.js';
import type { PgDatabase } from './db.js';
import { leaseHeld, refusal } from './fence.js';

const RECORDED = `SELECT exit_code, timed_out, truncated, stdout, stderr, duration_ms FROM tool_calls
  WHERE key = $1 AND status = 'completed' AND (expires_at IS NULL OR expires_at > agentos_now_ms())`;

const GET = `SELECT t.status, t.claim, t.exit_code, t.timed_out, t.truncated, t.stdout, t.stderr, t.duration_ms,
    t.started_at, t.owner_host, t.owner_pid_space, t.owner_pid, t.owner_start, t.lease_item,
    t.status = 'completed' AND (t.expires_at IS NULL OR t.expires_at > agentos_now_ms()) AS live,
    t.status = 'started' AND EXISTS (SELECT 1 FROM work_items w WHERE w.id = t.lease_item AND w.epoch = t.lease_epoch
      AND w.status = 'leased' AND w.lease_expires_at > agentos_now_ms()) AS lease_held
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
  SELECT (SELECT COUNT(*)::int FROM fence) AS fenced, (SELECT COUNT(*)::int FROM done) AS done`;

const OURS = "key = $1 AND claim = $2 AND status = 'started'";

/** The tool_calls table on PostgreSQL: a claim, a start and a result are each one statement, fenced by the server. */
export class PgToolStore implements ToolStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async recorded(key: string): Promise<RecordedToolCall | undefined> {
    const [row] = await this.#db.query<RecordedToolCall>(RECORDED, [key], 'agentos.tool.recorded');
    return row;
  }

  async get(key: string): Promise<ToolCallRow | undefined> {
    const [row] = await this.#db.query<ToolCallRow>(GET, [key], 'agentos.tool.get');
    return row;
  }

  async claim(
    call: NewToolCall,
    read: Pick<ToolCallRow, 'claim' | 'status'> | null,
    lease: Fence | undefined,
  ): Promise<boolean> {
    const { owner } = call;
    const [row] = await this.#db.query<{ fenced: number; started_at: number | null }>(
      CLAIM(lease !== undefined),
      [
        ...fenceValues(lease),
        call.key,
        call.command,
        call.cwd,
        call.claim,
        owner.holder_host,
        owner.holder_pid_space,
        owner.holder_pid,
        owner.holder_start,
        read?.claim ?? null,
        read?.status ?? null,
      ],
      lease ? 'agentos.tool.claim-fenced' : 'agentos.tool.claim',
    );
    if (lease && row?.fenced === 0) throw await refusal(this.#db, lease, 'tool-start');
    return row?.started_at !== null && row?.started_at !== undefined;
  }

  async finish(
    key: string,
    claim: string,
    result: ToolCallResult,
    ttlMs: number,
    lease: Fence | undefined,
  ): Promise<boolean> {
    const [row] = await this.#db.query<{ fenced: number; done: number }>(
      FINISH(lease !== undefined),
      [
        ...fenceValues(lease),
        key,
        claim,
        result.exitCode,
        result.timedOut,
        result.truncated,
        result.stdout,
        result.stderr,
        result.durationMs,
        ttlMs,
      ],
      lease ? 'agentos.tool.finish-fenced' : 'agentos.tool.finish',
    );
    // Refused: the row stays started, so the lease's new holder finds the call in doubt.
    if (lease && row?.fenced === 0) throw await refusal(this.#db, lease, 'tool-finish');
    return (row?.done ?? 0) > 0;
  }

  async disown(key: string, claim: string): Promise<void> {
    await this.#db.query(
      `UPDATE tool_calls SET owner_host = NULL, owner_pid_space = NULL, owner_pid = NULL, owner_start = NULL
       WHERE ${OURS}`,
      [key, claim],
    );
  }

  async unclaim(key: string, claim: string): Promise<void> {
    await this.#db.query(`DELETE FROM tool_calls WHERE ${OURS}`, [key, claim]);
  }

  async forget(key: string): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM tool_calls WHERE key = $1 RETURNING 1', [key]);
    return rows.length > 0;
  }

  async cleanup(): Promise<number> {
    const rows = await this.#db.query(
      "DELETE FROM tool_calls WHERE status = 'completed' AND expires_at <= agentos_now_ms() RETURNING 1",
    );
    return rows.length;
  }
}

function fenceValues(lease: Fence | undefined): unknown[] {
  return [lease?.itemId ?? null, lease?.epoch ?? null, lease?.workerId ?? null];
}
