import { createHash } from 'node:crypto';
import type { Fence } from '../core/fence.js';
import type { LeasedOperation } from '../errors.js';
import type {
  NewSaverCheckpoint,
  NewSaverWrites,
  SaverCheckpoint,
  SaverCheckpointRow,
  SaverEvidenceRow,
  SaverListQuery,
  SaverStore,
  SaverValueRow,
  TrimCounts,
} from '../store.js';
import type { PgDatabase } from './db.js';
import { leaseHeld, refusal } from './fence.js';
import { InvalidArgumentError } from '../validate.js';

const CHECKPOINT_COLUMNS =
  'thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, channel_versions, metadata';

// Every write is one statement, so one round trip and one implicit transaction: $1-$3 are the fence (item, epoch,
// holder). The item's row is share-locked by the check until the commit, so no acquisition slips between the check
// and the write; each part of the write reads from `fence`, so a refused write writes nothing, and the statement's
// `held` tells a refusal from a write with nothing to do.
const FENCE = `fence AS (SELECT 1 FROM work_items WHERE ${leaseHeld('$1', '$2::bigint', '$3')} FOR SHARE)`;
const log = (operation: LeasedOperation): string => `log AS (INSERT INTO lease_log (item_id, epoch, holder, op, at)
    SELECT $1, $2::bigint, $3, '${operation}', agentos_now_ms() FROM fence)`;

// A value is stored once per channel version: a checkpoint that did not change a channel stores nothing for it.
const PUT = `WITH ${FENCE},
  blobs AS (INSERT INTO langgraph_blobs (thread_id, checkpoint_ns, channel, version, type, value)
    SELECT $4, $5, b.channel, b.version, b.type, b.value
    FROM fence, unnest($6::text[], $7::text[], $8::text[], $9::bytea[]) AS b (channel, version, type, value)
    ON CONFLICT DO NOTHING),
  cp AS (INSERT INTO langgraph_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type,
      checkpoint, channel_versions, metadata, evidence, verified, verification, verified_at, lease_item, lease_epoch,
      created_at)
    SELECT $4, $5, $10, $11, $12, $13::bytea, $14, $15, $16, $17::boolean, $18,
      CASE WHEN $16::text IS NULL THEN NULL ELSE agentos_now_ms() END, $1, $2::bigint, agentos_now_ms() FROM fence
    ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET
      parent_checkpoint_id = excluded.parent_checkpoint_id, type = excluded.type, checkpoint = excluded.checkpoint,
      channel_versions = excluded.channel_versions, metadata = excluded.metadata, evidence = excluded.evidence,
      verified = excluded.verified, verification = excluded.verification, verified_at = excluded.verified_at,
      lease_item = excluded.lease_item, lease_epoch = excluded.lease_epoch, created_at = excluded.created_at),
  ${log('langgraph-put')}
  SELECT COUNT(*)::int AS held FROM fence`;

const putWrites = (replace: boolean): string => `WITH ${FENCE},
  w AS (INSERT INTO langgraph_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value,
      task_path, lease_item, lease_epoch)
    SELECT $4, $5, $6, $7, w.idx, w.channel, w.type, w.value, $8, $1, $2::bigint
    FROM fence, unnest($9::int[], $10::text[], $11::text[], $12::bytea[]) AS w (idx, channel, type, value)
    ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) ${
      replace
        ? `DO UPDATE SET channel = excluded.channel, type = excluded.type, value = excluded.value,
      task_path = excluded.task_path, lease_item = excluded.lease_item, lease_epoch = excluded.lease_epoch`
        : 'DO NOTHING'
    }),
  e AS (INSERT INTO langgraph_task_evidence (thread_id, checkpoint_ns, checkpoint_id, task_id, evidence, verification,
      verified_at)
    SELECT $4, $5, $6, $7, $13, $14, agentos_now_ms() FROM fence WHERE $13::text IS NOT NULL
    ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id) DO UPDATE SET evidence = excluded.evidence,
      verification = excluded.verification, verified_at = excluded.verified_at),
  ${log('langgraph-writes')}
  SELECT COUNT(*)::int AS held FROM fence`;
// A task's regular writes are kept as first saved; its special writes (error, interrupt, …) replace earlier ones.
const INSERT_WRITES = putWrites(false);
const REPLACE_WRITES = putWrites(true);

const deleteFrom = (table: string, i: number): string =>
  `delete${i} AS (DELETE FROM ${table} WHERE thread_id = $4 AND EXISTS (SELECT 1 FROM fence))`;
const DELETE_THREAD = `WITH ${FENCE},
  ${['langgraph_checkpoints', 'langgraph_blobs', 'langgraph_writes', 'langgraph_task_evidence'].map(deleteFrom).join(',\n  ')},
  ${log('langgraph-delete')}
  SELECT COUNT(*)::int AS held FROM fence`;

// Checkpoint ids are uuid6, ordered by creation time: per namespace ($5, or every one when null), the keepLast-th
// newest id ($6) is the cutoff, and what is older goes. Every part reads the statement's snapshot, so the values still
// referenced are those of the checkpoints at or after the cutoff.
const trimBefore = ([name, table]: readonly [string, string]): string => `${name} AS (DELETE FROM ${table} x USING cut
    WHERE x.thread_id = $4 AND x.checkpoint_ns = cut.checkpoint_ns AND x.checkpoint_id < cut.cutoff
    RETURNING x.checkpoint_ns)`;
const TRIM = `WITH ${FENCE},
  ranked AS (SELECT checkpoint_ns, checkpoint_id,
      row_number() OVER (PARTITION BY checkpoint_ns ORDER BY checkpoint_id DESC) AS n
    FROM langgraph_checkpoints WHERE thread_id = $4 AND ($5::text IS NULL OR checkpoint_ns = $5)),
  cut AS (SELECT checkpoint_ns, checkpoint_id AS cutoff FROM ranked, fence WHERE n = $6),
  ${(
    [
      ['checkpoints', 'langgraph_checkpoints'],
      ['writes', 'langgraph_writes'],
      ['evidence', 'langgraph_task_evidence'],
    ] as const
  )
    .map(trimBefore)
    .join(',\n  ')},
  blobs AS (DELETE FROM langgraph_blobs x
    WHERE x.thread_id = $4 AND x.checkpoint_ns IN (SELECT checkpoint_ns FROM checkpoints)
      AND (x.checkpoint_ns, x.channel, x.version) NOT IN (
        SELECT k.checkpoint_ns, v.key, v.value FROM langgraph_checkpoints k
        JOIN cut ON k.thread_id = $4 AND k.checkpoint_ns = cut.checkpoint_ns AND k.checkpoint_id >= cut.cutoff,
          jsonb_each_text(k.channel_versions::jsonb) AS v)
    RETURNING 1),
  ${log('langgraph-trim')}
  SELECT (SELECT COUNT(*) FROM fence)::int AS held, (SELECT COUNT(*) FROM checkpoints)::int AS checkpoints,
    (SELECT COUNT(*) FROM writes)::int AS writes, (SELECT COUNT(*) FROM blobs)::int AS blobs`;

// A checkpoint's re-verification ($4-$6 the checkpoint, $7-$8 the outcome).
const MARK_VERIFIED = `WITH ${FENCE},
  marked AS (UPDATE langgraph_checkpoints SET verified = $7, verification = $8, verified_at = agentos_now_ms()
    WHERE thread_id = $4 AND checkpoint_ns = $5 AND checkpoint_id = $6 AND EXISTS (SELECT 1 FROM fence)),
  ${log('langgraph-verify')}
  SELECT COUNT(*)::int AS held FROM fence`;

const THREAD_NS = 'thread_id = $1 AND checkpoint_ns = $2';
const LATEST = `SELECT ${CHECKPOINT_COLUMNS} FROM langgraph_checkpoints WHERE ${THREAD_NS}
  ORDER BY checkpoint_id DESC LIMIT 1`;
const BY_ID = `SELECT ${CHECKPOINT_COLUMNS} FROM langgraph_checkpoints WHERE ${THREAD_NS} AND checkpoint_id = $3`;

/**
 * The checkpoints a SELECT of CHECKPOINT_COLUMNS finds, newest first, each with its values and writes as arrays (one
 * round trip). Values: one primary-key lookup per channel the checkpoint names, versions matched as the text they were
 * stored as; the LIMIT (the key is unique: one row at most anyway) keeps each lookup a subquery run per channel, as a
 * plain join the planner hashes or scans every value the thread ever stored. Writes: the "C" collation orders by code
 * point, the order LangGraph's writesSortKey asks for.
 */
const withContents = (select: string): string => `SELECT c.*, v.*, w.* FROM (${select}) AS c
  CROSS JOIN LATERAL (SELECT array_agg(b.channel ORDER BY b.channel) AS blob_channels,
      array_agg(b.type ORDER BY b.channel) AS blob_types, array_agg(b.value ORDER BY b.channel) AS blob_values
    FROM jsonb_each_text(c.channel_versions::jsonb) AS k
    CROSS JOIN LATERAL (SELECT channel, type, value FROM langgraph_blobs
      WHERE thread_id = c.thread_id AND checkpoint_ns = c.checkpoint_ns AND channel = k.key AND version = k.value
      LIMIT 1) AS b) AS v
  CROSS JOIN LATERAL (SELECT array_agg(x.task_id ORDER BY x.task_path, x.task_id, x.idx) AS write_task_ids,
      array_agg(x.channel ORDER BY x.task_path, x.task_id, x.idx) AS write_channels,
      array_agg(x.type ORDER BY x.task_path, x.task_id, x.idx) AS write_types,
      array_agg(x.value ORDER BY x.task_path, x.task_id, x.idx) AS write_values
    FROM langgraph_writes AS x
    WHERE x.thread_id = c.thread_id AND x.checkpoint_ns = c.checkpoint_ns AND x.checkpoint_id = c.checkpoint_id) AS w
  ORDER BY c.checkpoint_id DESC`;
const READ_LATEST = withContents(LATEST);
const READ_BY_ID = withContents(BY_ID);

/** A row of withContents: the arrays are null when empty (array_agg of nothing). */
interface CheckpointWithContentsRow extends SaverCheckpointRow {
  blob_channels: string[] | null;
  blob_types: string[] | null;
  blob_values: (Buffer | null)[] | null;
  write_task_ids: string[] | null;
  write_channels: string[] | null;
  write_types: string[] | null;
  write_values: (Buffer | null)[] | null;
}

function toSaverCheckpoint(r: CheckpointWithContentsRow): SaverCheckpoint {
  const { blob_channels, blob_types, blob_values, write_task_ids, write_channels, write_types, write_values, ...row } =
    r;
  return {
    ...row,
    blobs: (blob_channels ?? []).map((channel, i) => ({
      channel,
      type: blob_types![i]!,
      value: blob_values![i] ?? null,
    })),
    writes: (write_task_ids ?? []).map((task_id, i) => ({
      task_id,
      channel: write_channels![i]!,
      type: write_types![i]!,
      value: write_values![i] ?? null,
    })),
  };
}

/** AgentosSaver's tables on PostgreSQL: each write one fenced statement, logged, by the server's clock. */
export class PgSaverStore implements SaverStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async put(c: NewSaverCheckpoint, fence: Fence, keepLast: number | undefined): Promise<void> {
    const evidence = c.parentId === null ? null : c.evidenceOf(await this.taskEvidenceOf(c.threadId, c.ns, c.parentId));
    await this.#fenced(fence, 'langgraph-put', PUT, 'agentos.saver.put', [
      c.threadId,
      c.ns,
      c.blobs.map((b) => b.channel),
      c.blobs.map((b) => b.version),
      c.blobs.map((b) => b.type),
      c.blobs.map((b) => b.value),
      c.checkpointId,
      c.parentId,
      c.type,
      c.checkpoint,
      c.channelVersionsJson,
      c.metadataJson,
      evidence?.evidenceJson ?? null,
      evidence?.verified ?? false,
      evidence?.verificationJson ?? null,
    ]);
    // Its own statement: a crash in between leaves older checkpoints that the next put trims.
    if (keepLast !== undefined) await this.trim(c.threadId, c.ns, keepLast, fence);
  }

  async putWrites(w: NewSaverWrites, fence: Fence): Promise<void> {
    const [text, name] = w.replace
      ? [REPLACE_WRITES, 'agentos.saver.replace-writes']
      : [INSERT_WRITES, 'agentos.saver.insert-writes'];
    await this.#fenced(fence, 'langgraph-writes', text, name, [
      w.threadId,
      w.ns,
      w.checkpointId,
      w.taskId,
      w.taskPath,
      w.writes.map((r) => r.idx),
      w.writes.map((r) => r.channel),
      w.writes.map((r) => r.type),
      w.writes.map((r) => r.value),
      w.evidence?.evidenceJson ?? null,
      w.evidence?.verificationJson ?? null,
    ]);
  }

  async deleteThread(threadId: string, fence: Fence): Promise<void> {
    await this.#fenced(fence, 'langgraph-delete', DELETE_THREAD, 'agentos.saver.delete-thread', [threadId]);
  }

  async trim(threadId: string, ns: string | undefined, keepLast: number, fence: Fence): Promise<TrimCounts> {
    const { checkpoints, writes, blobs } = await this.#fenced<TrimCounts>(
      fence,
      'langgraph-trim',
      TRIM,
      'agentos.saver.trim',
      [threadId, ns ?? null, keepLast],
    );
    return { checkpoints, writes, blobs };
  }

  async checkpoint(
    threadId: string,
    ns: string,
    checkpointId: string | undefined,
  ): Promise<SaverCheckpointRow | undefined> {
    const [row] =
      checkpointId === undefined
        ? await this.#db.query<SaverCheckpointRow>(LATEST, [threadId, ns], 'agentos.saver.latest')
        : await this.#db.query<SaverCheckpointRow>(BY_ID, [threadId, ns, checkpointId], 'agentos.saver.by-id');
    return row;
  }

  async read(threadId: string, ns: string, checkpointId: string | undefined): Promise<SaverCheckpoint | undefined> {
    const rows =
      checkpointId === undefined
        ? await this.#db.query<CheckpointWithContentsRow>(READ_LATEST, [threadId, ns], 'agentos.saver.read-latest')
        : await this.#db.query<CheckpointWithContentsRow>(
            READ_BY_ID,
            [threadId, ns, checkpointId],
            'agentos.saver.read-by-id',
          );
    return rows.map(toSaverCheckpoint)[0];
  }

  async list(query: SaverListQuery): Promise<SaverCheckpoint[]> {
    const values: unknown[] = [];
    const param = (value: unknown): string => `$${values.push(value)}`;
    const where: string[] = [];
    if (query.threadId !== undefined) where.push(`thread_id = ${param(query.threadId)}`);
    if (query.ns !== undefined) where.push(`checkpoint_ns = ${param(query.ns)}`);
    if (query.before !== undefined) where.push(`checkpoint_id < ${param(query.before)}`);
    for (const [key, value] of query.filter)
      where.push(`metadata::jsonb -> ${param(key)} = ${param(JSON.stringify(value))}::jsonb`);
    // The limit is written into the text, so the plan kept for the named statement below knows it: with a $n in its
    // place, a generic plan guesses a tenth of the table and sorts the whole thread.
    if (query.limit !== undefined && !(Number.isSafeInteger(query.limit) && query.limit >= 0))
      throw new InvalidArgumentError(
        `AgentosSaver.list: limit must be a whole number from 0 to 2^53 − 1, got ${query.limit}`,
      );
    const limit = query.limit !== undefined ? ` LIMIT ${query.limit}` : '';
    const select = `SELECT ${CHECKPOINT_COLUMNS} FROM langgraph_checkpoints${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
        ORDER BY checkpoint_id DESC${limit}`;
    const text = withContents(select);
    // Named, so each connection plans each shape once (planning this statement costs more than running it); the
    // shape is set by which conditions are given, how many filters and the limit, so its text names it.
    const name = `agentos.saver.list.${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    return (await this.#db.query<CheckpointWithContentsRow>(text, values, name)).map(toSaverCheckpoint);
  }

  async channelWritesOf(threadId: string, ns: string, checkpointId: string, channel: string): Promise<SaverValueRow[]> {
    return this.#db.query<SaverValueRow>(
      `SELECT type, value FROM langgraph_writes WHERE ${THREAD_NS} AND checkpoint_id = $3 AND channel = $4
        ORDER BY task_path, task_id, idx`,
      [threadId, ns, checkpointId, channel],
    );
  }

  async taskEvidenceOf(
    threadId: string,
    ns: string,
    checkpointId: string,
  ): Promise<{ evidence: string; verification: string }[]> {
    return this.#db.query<{ evidence: string; verification: string }>(
      `SELECT evidence, verification FROM langgraph_task_evidence WHERE ${THREAD_NS} AND checkpoint_id = $3
        ORDER BY task_id`,
      [threadId, ns, checkpointId],
      'agentos.saver.task-evidence-of',
    );
  }

  async evidenceOf(threadId: string, ns: string, checkpointId: string): Promise<SaverEvidenceRow | undefined> {
    const [row] = await this.#db.query<SaverEvidenceRow>(
      `SELECT evidence, verified, verification, verified_at FROM langgraph_checkpoints
        WHERE ${THREAD_NS} AND checkpoint_id = $3`,
      [threadId, ns, checkpointId],
    );
    return row;
  }

  async markVerified(
    threadId: string,
    ns: string,
    checkpointId: string,
    ok: boolean,
    verificationJson: string,
    fence: Fence,
  ): Promise<void> {
    await this.#fenced(fence, 'langgraph-verify', MARK_VERIFIED, 'agentos.saver.mark-verified', [
      threadId,
      ns,
      checkpointId,
      ok,
      verificationJson,
    ]);
  }

  /** Runs a fenced statement ($1-$3 the fence, then `values`): its row, or LeaseLostError when it was refused. */
  async #fenced<R extends object = object>(
    fence: Fence,
    operation: LeasedOperation,
    text: string,
    name: string,
    values: unknown[],
  ): Promise<R> {
    const [row] = await this.#db.query<R & { held: number }>(
      text,
      [fence.itemId, fence.epoch, fence.workerId, ...values],
      name,
    );
    if (!row || row.held === 0) throw await refusal(this.#db, fence, operation);
    return row;
  }
}
