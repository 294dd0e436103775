import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';

export interface CheckpointRow {
  thread_id: string;
  checkpoint_ns: string;
  checkpoint_id: string;
  parent_checkpoint_id: string | null;
  type: string;
  checkpoint: Buffer;
  channel_versions: string;
  metadata: string;
}

export interface EvidenceRow {
  evidence: string | null;
  verified: 0 | 1;
  verification: string | null;
  verified_at: number | null;
}

export interface ValueRow {
  type: string;
  value: Buffer | null;
}

export interface BlobRow extends ValueRow {
  channel: string;
}

export interface WriteRow extends ValueRow {
  task_id: string;
  channel: string;
}

export interface ListQuery {
  threadId: string | undefined;
  ns: string | undefined;
  before: string | undefined;
  /** Metadata keys to match, each against the JSON text of its value. */
  filterKeys: readonly string[];
  limit: number | undefined;
}

/** Columns every read of a checkpoint returns. */
const CHECKPOINT_COLUMNS =
  'thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, channel_versions, metadata';
const THREAD_NS = 'thread_id = @threadId AND checkpoint_ns = @ns';
/** The channel name of LangGraph's pending sends (TASKS), whose writes fold into checkpoints written before format 4. */
export const TASKS_CHANNEL = '__pregel_tasks';

/** AgentosSaver's statements, one per hot path, on the tables of migration 0004. */
export class SaverStatements {
  readonly insertBlob: Statement;
  readonly upsertCheckpoint: Statement;
  readonly insertWrite: Statement;
  readonly replaceWrite: Statement;
  readonly recordTaskEvidence: Statement;
  readonly taskEvidenceOf: Statement;
  readonly latest: Statement;
  readonly byId: Statement;
  readonly blobsOf: Statement;
  readonly writesOf: Statement;
  readonly sendsOf: Statement;
  readonly evidenceOf: Statement;
  readonly markVerified: Statement;
  readonly deleteThread: Statement[];
  readonly oldestKept: Statement;
  readonly namespacesOf: Statement;
  readonly trimBefore: Statement[];
  readonly unreferencedBlobs: Statement;
  readonly #sqlite: Database.Database;
  readonly #lists = new Map<string, Statement>();

  constructor(sqlite: Database.Database) {
    this.#sqlite = sqlite;
    const s = sqlite;
    // A value is stored once per channel version: a checkpoint that did not change a channel stores nothing for it.
    this.insertBlob = s.prepare(`
      INSERT INTO langgraph_blobs (thread_id, checkpoint_ns, channel, version, type, value)
      VALUES (@threadId, @ns, @channel, @version, @type, @value)
      ON CONFLICT DO NOTHING`);
    this.upsertCheckpoint = s.prepare(`
      INSERT OR REPLACE INTO langgraph_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type,
        checkpoint, channel_versions, metadata, evidence, verified, verification, verified_at, lease_item, lease_epoch, created_at)
      VALUES (@threadId, @ns, @checkpointId, @parentId, @type, @checkpoint, @channelVersions, @metadata, @evidence, @verified,
        @verification, @verifiedAt, @leaseItem, @leaseEpoch, @now)`);
    const write = `INTO langgraph_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value, task_path,
        lease_item, lease_epoch)
      VALUES (@threadId, @ns, @checkpointId, @taskId, @idx, @channel, @type, @value, @taskPath, @leaseItem, @leaseEpoch)`;
    // A task's regular writes are kept as first saved; its special writes (error, interrupt, …) replace earlier ones.
    this.insertWrite = s.prepare(`INSERT OR IGNORE ${write}`);
    this.replaceWrite = s.prepare(`INSERT OR REPLACE ${write}`);
    this.recordTaskEvidence = s.prepare(`
      INSERT OR REPLACE INTO langgraph_task_evidence (thread_id, checkpoint_ns, checkpoint_id, task_id, evidence, verification, verified_at)
      VALUES (@threadId, @ns, @checkpointId, @taskId, @evidence, @verification, @now)`);
    this.taskEvidenceOf = s.prepare(`
      SELECT evidence, verification FROM langgraph_task_evidence WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId ORDER BY task_id`);
    this.latest = s.prepare(
      `SELECT ${CHECKPOINT_COLUMNS} FROM langgraph_checkpoints WHERE ${THREAD_NS} ORDER BY checkpoint_id DESC LIMIT 1`,
    );
    this.byId = s.prepare(
      `SELECT ${CHECKPOINT_COLUMNS} FROM langgraph_checkpoints WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId`,
    );
    // @keys is a JSON array of [channel, version as text] pairs: versions are matched as the text they were stored as.
    this.blobsOf = s.prepare(`
      SELECT b.channel, b.type, b.value FROM json_each(@channelVersions) AS k
      JOIN langgraph_blobs AS b ON b.thread_id = @threadId AND b.checkpoint_ns = @ns AND b.channel = k.key AND b.version = k.value`);
    // BINARY collation orders UTF-8 by code point: the order writesSortKey asks for.
    this.writesOf = s.prepare(`
      SELECT task_id, channel, type, value FROM langgraph_writes WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId
      ORDER BY task_path, task_id, idx`);
    this.sendsOf = s.prepare(`
      SELECT type, value FROM langgraph_writes WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId AND channel = '${TASKS_CHANNEL}'
      ORDER BY task_path, task_id, idx`);
    this.evidenceOf = s.prepare(
      `SELECT evidence, verified, verification, verified_at FROM langgraph_checkpoints WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId`,
    );
    this.markVerified = s.prepare(`
      UPDATE langgraph_checkpoints SET verified = @verified, verification = @verification, verified_at = @now
      WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId`);
    this.deleteThread = ['langgraph_checkpoints', 'langgraph_blobs', 'langgraph_writes', 'langgraph_task_evidence'].map(
      (table) => s.prepare(`DELETE FROM ${table} WHERE thread_id = ?`),
    );
    // Checkpoint ids are uuid6, ordered by creation time: the newest keepLast are the last keepLast ids.
    this.namespacesOf = s
      .prepare('SELECT DISTINCT checkpoint_ns FROM langgraph_checkpoints WHERE thread_id = ?')
      .pluck();
    this.oldestKept = s.prepare(`
      SELECT checkpoint_id FROM langgraph_checkpoints WHERE ${THREAD_NS} ORDER BY checkpoint_id DESC LIMIT 1 OFFSET @offset`);
    this.trimBefore = ['langgraph_checkpoints', 'langgraph_writes', 'langgraph_task_evidence'].map((table) =>
      s.prepare(`DELETE FROM ${table} WHERE ${THREAD_NS} AND checkpoint_id < @cutoff`),
    );
    // Values no remaining checkpoint of the namespace refers to (the referenced pairs are materialised once).
    this.unreferencedBlobs = s.prepare(`
      DELETE FROM langgraph_blobs WHERE ${THREAD_NS} AND (channel, version) NOT IN (
        SELECT v.key, v.value FROM langgraph_checkpoints AS c, json_each(c.channel_versions) AS v
        WHERE c.thread_id = @threadId AND c.checkpoint_ns = @ns)`);
  }

  /** The list() statement for this combination of conditions, prepared once per combination. */
  list(query: ListQuery): Statement {
    const where: string[] = [];
    if (query.threadId !== undefined) where.push('thread_id = @threadId');
    if (query.ns !== undefined) where.push('checkpoint_ns = @ns');
    if (query.before !== undefined) where.push('checkpoint_id < @before');
    query.filterKeys.forEach((_, i) => where.push(`metadata -> @path${i} = @value${i}`));
    const sql = `SELECT ${CHECKPOINT_COLUMNS} FROM langgraph_checkpoints${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY checkpoint_id DESC${query.limit !== undefined ? ' LIMIT @limit' : ''}`;
    let statement = this.#lists.get(sql);
    if (!statement) {
      statement = this.#sqlite.prepare(sql);
      this.#lists.set(sql, statement);
    }
    return statement;
  }
}
