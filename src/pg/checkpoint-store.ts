import type { Fence } from '../core/fence.js';
import type { CheckpointRow, CheckpointStore, NewCheckpoint } from '../store.js';
import type { PgDatabase } from './db.js';
import { leaseHeld, refusal } from './fence.js';

const VALUES = `$1, s.last, $2, $3, $4, $5, $6, agentos_now_ms(), CASE WHEN $6::text IS NULL THEN NULL ELSE agentos_now_ms() END`;
const COLUMNS = 'task_id, seq, step, state, evidence, verified, verification, created_at, verified_at';
const NEXT_SEQ = `INSERT INTO checkpoint_seqs AS q (task_id, last) SELECT $1, 1 FROM fence
  ON CONFLICT (task_id) DO UPDATE SET last = q.last + 1 RETURNING last`;

// One statement, so one round trip and one implicit transaction: the next sequence number, the insert and, under a
// lease, the fencing check (the item's row stays share-locked until the commit, so no acquisition can slip between
// the check and the write) and the lease log entry. If any part fails, none of it happened.
const INSERT = `WITH fence AS (SELECT 1), s AS (${NEXT_SEQ})
  INSERT INTO checkpoints (${COLUMNS}) SELECT ${VALUES} FROM s RETURNING id, seq, created_at`;
const INSERT_FENCED = `WITH fence AS (
    SELECT 1 FROM work_items WHERE ${leaseHeld('$7', '$8', '$9')} FOR SHARE),
  s AS (${NEXT_SEQ}),
  ins AS (INSERT INTO checkpoints (${COLUMNS}, lease_item, lease_epoch) SELECT ${VALUES}, $7, $8 FROM s
    RETURNING id, seq, created_at),
  log AS (INSERT INTO lease_log (item_id, epoch, holder, op, at) SELECT $7, $8, $9, 'checkpoint', created_at FROM ins)
  SELECT id, seq, created_at FROM ins`;

interface Inserted {
  id: number;
  seq: number;
  created_at: number;
}

/** The checkpoints table on PostgreSQL: each insert numbered and fenced in one statement; times by the server's clock. */
export class PgCheckpointStore implements CheckpointStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async insert(c: NewCheckpoint, fence?: Fence): Promise<{ id: number; seq: number; createdAt: number }> {
    const values: unknown[] = [c.taskId, c.step, c.stateJson, c.evidenceJson, c.verified, c.verificationJson];
    const rows = fence
      ? await this.#db.query<Inserted>(
          INSERT_FENCED,
          [...values, fence.itemId, fence.epoch, fence.workerId],
          'agentos.checkpoint.insert-fenced',
        )
      : await this.#db.query<Inserted>(INSERT, values, 'agentos.checkpoint.insert');
    const row = rows[0];
    if (!row) {
      if (!fence) throw new Error(`checkpoint insert for task "${c.taskId}" returned no row`);
      throw await refusal(this.#db, fence, 'checkpoint');
    }
    return { id: row.id, seq: row.seq, createdAt: row.created_at };
  }

  async byId(id: number): Promise<CheckpointRow | undefined> {
    const [row] = await this.#db.query<CheckpointRow>('SELECT * FROM checkpoints WHERE id = $1', [id]);
    return row;
  }

  async evidenceOf(id: number): Promise<{ evidence: string | null } | undefined> {
    const [row] = await this.#db.query<{ evidence: string | null }>('SELECT evidence FROM checkpoints WHERE id = $1', [
      id,
    ]);
    return row;
  }

  async last(taskId: string, verifiedOnly: boolean): Promise<CheckpointRow | undefined> {
    const [row] = await this.#db.query<CheckpointRow>(
      `SELECT * FROM checkpoints WHERE task_id = $1 ${verifiedOnly ? 'AND verified' : ''} ORDER BY seq DESC LIMIT 1`,
      [taskId],
    );
    return row;
  }

  async list(taskId: string, afterSeq: number, limit: number | null): Promise<CheckpointRow[]> {
    return this.#db.query<CheckpointRow>(
      'SELECT * FROM checkpoints WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [taskId, afterSeq, limit],
    );
  }

  async markVerified(id: number, ok: boolean, verificationJson: string): Promise<void> {
    await this.#db.query(
      'UPDATE checkpoints SET verified = $1, verification = $2, verified_at = agentos_now_ms() WHERE id = $3',
      [ok, verificationJson, id],
    );
  }

  async cleanup(taskId: string, keepLast: number): Promise<number> {
    const rows = await this.#db.query<{ n: number }>(
      `WITH d AS (DELETE FROM checkpoints WHERE task_id = $1
         AND seq <= (SELECT MAX(seq) FROM checkpoints WHERE task_id = $1) - $2 RETURNING 1)
       SELECT COUNT(*)::int AS n FROM d`,
      [taskId, keepLast],
    );
    return rows[0]?.n ?? 0;
  }
}
