import { crashPoint } from '../crash-points.js';
import { RECOVERY_TASK_PREFIX } from '../core/recovery.js';
import type { SweepBatch, SweepStore } from '../store.js';
import type { PgDatabase } from './db.js';

// The batch: the oldest leases expired by the server's clock, locked until the commit. Rows locked by a holder
// renewing or completing right now are skipped, not raced.
const LOCK = `SELECT COALESCE(array_agg(id), '{}') AS ids FROM (
    SELECT id FROM work_items WHERE status = 'leased' AND lease_expires_at <= (SELECT agentos_now_ms())
    ORDER BY lease_expires_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) expired`;
// A 'lease-expired' checkpoint per locked item, while it still names its holder, numbered through checkpoint_seqs as
// every checkpoint is. Each item is found by its key: the rows are locked by now, so this statement sees them as
// they will be reclaimed.
const RECORD = `WITH now AS (SELECT agentos_now_ms() AS ms),
  seqs AS (INSERT INTO checkpoint_seqs AS q (task_id, last)
    SELECT '${RECOVERY_TASK_PREFIX}' || id, 1 FROM unnest($1::text[]) AS i (id)
    ON CONFLICT (task_id) DO UPDATE SET last = q.last + 1 RETURNING task_id, last),
  recorded AS (INSERT INTO checkpoints (task_id, seq, step, state, verified, created_at, verified_at)
    SELECT s.task_id, s.last, 'lease-expired',
      json_build_object('itemId', w.id, 'taskId', w.task_id, 'holder', w.lease_holder, 'epoch', w.epoch,
                        'recoveredAt', now.ms)::text,
      true, now.ms, now.ms
    FROM seqs s JOIN work_items w ON w.id = substr(s.task_id, ${RECOVERY_TASK_PREFIX.length + 1}) CROSS JOIN now
    RETURNING 1)
  SELECT COUNT(*)::int AS n FROM recorded`;
// The reclaim ends the old holder's lease: logged at its epoch, so a checker knows no write of that epoch may follow.
// Both parts read the rows as they were before the statement.
const RECLAIM = `WITH log AS (INSERT INTO lease_log (item_id, epoch, holder, op, at)
    SELECT id, epoch, lease_holder, 'reclaim', agentos_now_ms() FROM work_items WHERE id = ANY($1::text[])),
  reclaimed AS (UPDATE work_items SET status = 'pending', last_holder = lease_holder, lease_holder = NULL,
      lease_expires_at = NULL, recoveries = recoveries + 1, updated_at = agentos_now_ms()
    WHERE id = ANY($1::text[]) RETURNING 1)
  SELECT COUNT(*)::int AS n FROM reclaimed`;

// The next $2 tasks after $1 in task id order, each trimmed to its newest $3 checkpoints.
const TRIM_CHECKPOINTS = `WITH tasks AS (
    SELECT task_id, MAX(seq) AS last FROM checkpoints WHERE task_id > $1 GROUP BY task_id ORDER BY task_id LIMIT $2),
  trimmed AS (DELETE FROM checkpoints c USING tasks t WHERE c.task_id = t.task_id AND c.seq <= t.last - $3
    RETURNING 1)
  SELECT (SELECT COUNT(*) FROM trimmed)::int AS deleted, (SELECT COUNT(*) FROM tasks)::int AS tasks,
    (SELECT task_id FROM tasks ORDER BY task_id DESC LIMIT 1) AS last`;

// lease_log has no key but (item_id, seq), which its index covers.
const TRIM_LEASE_LOG = `WITH old AS (
    SELECT l.item_id, l.seq FROM lease_log l JOIN work_items w ON w.id = l.item_id
    WHERE w.status = 'completed' AND w.updated_at <= agentos_now_ms() - $1 LIMIT $2),
  trimmed AS (DELETE FROM lease_log l USING old WHERE l.item_id = old.item_id AND l.seq = old.seq RETURNING 1)
  SELECT COUNT(*)::int AS n FROM trimmed`;

/** The recovery sweep's statements on PostgreSQL, by the server's clock: a batch is one transaction, a trim one statement. */
export class PgSweepStore implements SweepStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async reclaimExpired(limit: number, recordCheckpoints: boolean): Promise<SweepBatch> {
    return this.#db.transaction(async (client) => {
      const count = async (name: string, text: string, values: unknown[]): Promise<number> =>
        (await client.query<{ n: number }>({ name, text, values })).rows[0]?.n ?? 0;
      const { rows } = await client.query<{ ids: string[] }>({
        name: 'agentos.sweep.lock',
        text: LOCK,
        values: [limit],
      });
      const ids = rows[0]?.ids ?? [];
      const checkpointsCreated =
        recordCheckpoints && ids.length > 0 ? await count('agentos.sweep.record', RECORD, [ids]) : 0;
      crashPoint('sweep.mid-batch');
      const reclaimed = ids.length > 0 ? await count('agentos.sweep.reclaim', RECLAIM, [ids]) : 0;
      return { reclaimed, checkpointsCreated };
    });
  }

  async trimCheckpoints(
    afterTaskId: string,
    limit: number,
    keepLast: number,
  ): Promise<{ deleted: number; lastTaskId: string | null }> {
    const [row] = await this.#db.query<{ deleted: number; tasks: number; last: string | null }>(
      TRIM_CHECKPOINTS,
      [afterTaskId, limit, keepLast],
      'agentos.sweep.trim-checkpoints',
    );
    return { deleted: row?.deleted ?? 0, lastTaskId: (row?.tasks ?? 0) < limit ? null : (row?.last ?? null) };
  }

  async trimLeaseLog(retentionMs: number, limit: number): Promise<number> {
    const [row] = await this.#db.query<{ n: number }>(
      TRIM_LEASE_LOG,
      [retentionMs, limit],
      'agentos.sweep.trim-lease-log',
    );
    return row?.n ?? 0;
  }
}
