import type { Statement } from 'better-sqlite3';
import type { Fence } from '../core/fence.js';
import type { AgentDatabase } from './db.js';
import { SaverContents } from './saver-reads.js';
import type {
  NewSaverCheckpoint,
  NewSaverWrites,
  SaverCheckpoint,
  SaverCheckpointRow,
  SaverEvidenceRow,
  SaverListQuery,
  SaverStore,
  SaverValueRow,
  TaskEvidenceRow,
  TrimCounts,
} from '../store.js';

/** Columns every read of a checkpoint returns. */
const CHECKPOINT_COLUMNS =
  'thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, channel_versions, metadata';
const THREAD_NS = 'thread_id = @threadId AND checkpoint_ns = @ns';
const TABLES = ['langgraph_checkpoints', 'langgraph_blobs', 'langgraph_writes', 'langgraph_task_evidence'];

/** AgentosSaver's tables (migration 0004) on SQLite: each write one write transaction, fenced and logged in it. */
export class SqliteSaverStore implements SaverStore {
  readonly #db: AgentDatabase;
  readonly #insertBlob: Statement;
  readonly #upsertCheckpoint: Statement;
  readonly #insertWrite: Statement;
  readonly #replaceWrite: Statement;
  readonly #recordTaskEvidence: Statement;
  readonly #taskEvidenceOf: Statement;
  readonly #latest: Statement;
  readonly #byId: Statement;
  readonly #contents: SaverContents;
  readonly #channelWritesOf: Statement;
  readonly #evidenceOf: Statement;
  readonly #markVerified: Statement;
  readonly #deleteThread: Statement[];
  readonly #oldestKept: Statement;
  readonly #namespacesOf: Statement;
  readonly #trimBefore: Statement[];
  readonly #unreferencedBlobs: Statement;
  readonly #lists = new Map<string, Statement>();

  constructor(db: AgentDatabase) {
    this.#db = db;
    const s = db.sqlite;
    // A value is stored once per channel version: a checkpoint that did not change a channel stores nothing for it.
    this.#insertBlob = s.prepare(`
      INSERT INTO langgraph_blobs (thread_id, checkpoint_ns, channel, version, type, value)
      VALUES (@threadId, @ns, @channel, @version, @type, @value)
      ON CONFLICT DO NOTHING`);
    this.#upsertCheckpoint = s.prepare(`
      INSERT OR REPLACE INTO langgraph_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type,
        checkpoint, channel_versions, metadata, evidence, verified, verification, verified_at, lease_item, lease_epoch, created_at)
      VALUES (@threadId, @ns, @checkpointId, @parentId, @type, @checkpoint, @channelVersions, @metadata, @evidence, @verified,
        @verification, @verifiedAt, @leaseItem, @leaseEpoch, @now)`);
    const write = `INTO langgraph_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value, task_path,
        lease_item, lease_epoch)
      VALUES (@threadId, @ns, @checkpointId, @taskId, @idx, @channel, @type, @value, @taskPath, @leaseItem, @leaseEpoch)`;
    this.#insertWrite = s.prepare(`INSERT OR IGNORE ${write}`);
    this.#replaceWrite = s.prepare(`INSERT OR REPLACE ${write}`);
    this.#recordTaskEvidence = s.prepare(`
      INSERT OR REPLACE INTO langgraph_task_evidence (thread_id, checkpoint_ns, checkpoint_id, task_id, evidence, verification, verified_at)
      VALUES (@threadId, @ns, @checkpointId, @taskId, @evidence, @verification, @now)`);
    this.#taskEvidenceOf = s.prepare(`
      SELECT evidence, verification FROM langgraph_task_evidence WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId ORDER BY task_id`);
    const latest = `SELECT ${CHECKPOINT_COLUMNS} FROM langgraph_checkpoints WHERE ${THREAD_NS} ORDER BY checkpoint_id DESC LIMIT 1`;
    this.#latest = s.prepare(latest);
    const byId = `SELECT ${CHECKPOINT_COLUMNS} FROM langgraph_checkpoints WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId`;
    this.#byId = s.prepare(byId);
    this.#contents = new SaverContents(s);
    this.#channelWritesOf = s.prepare(`
      SELECT type, value FROM langgraph_writes WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId AND channel = @channel
      ORDER BY task_path, task_id, idx`);
    this.#evidenceOf = s.prepare(
      `SELECT evidence, verified, verification, verified_at FROM langgraph_checkpoints WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId`,
    );
    this.#markVerified = s.prepare(`
      UPDATE langgraph_checkpoints SET verified = @verified, verification = @verification, verified_at = @now
      WHERE ${THREAD_NS} AND checkpoint_id = @checkpointId`);
    this.#deleteThread = TABLES.map((table) => s.prepare(`DELETE FROM ${table} WHERE thread_id = ?`));
    this.#namespacesOf = s
      .prepare('SELECT DISTINCT checkpoint_ns FROM langgraph_checkpoints WHERE thread_id = ?')
      .pluck();
    // Checkpoint ids are uuid6, ordered by creation time: the newest keepLast are the last keepLast ids.
    this.#oldestKept = s
      .prepare(
        `SELECT checkpoint_id FROM langgraph_checkpoints WHERE ${THREAD_NS} ORDER BY checkpoint_id DESC LIMIT 1 OFFSET @offset`,
      )
      .pluck();
    this.#trimBefore = ['langgraph_checkpoints', 'langgraph_writes', 'langgraph_task_evidence'].map((table) =>
      s.prepare(`DELETE FROM ${table} WHERE ${THREAD_NS} AND checkpoint_id < @cutoff`),
    );
    // Values no remaining checkpoint of the namespace refers to (the referenced pairs are materialised once).
    this.#unreferencedBlobs = s.prepare(`
      DELETE FROM langgraph_blobs WHERE ${THREAD_NS} AND (channel, version) NOT IN (
        SELECT v.key, v.value FROM langgraph_checkpoints AS c, json_each(c.channel_versions) AS v
        WHERE c.thread_id = @threadId AND c.checkpoint_ns = @ns)`);
  }

  async put(c: NewSaverCheckpoint, fence: Fence, keepLast: number | undefined): Promise<void> {
    const now = this.#db.clock.now();
    const where = { threadId: c.threadId, ns: c.ns };
    this.#db.writeTransaction(() => {
      this.#db.fencing.check(fence, 'langgraph-put', now);
      // Read under the write lock: no statement of its own, and what the checkpoint records is what is stored now.
      const evidence =
        c.parentId === null
          ? null
          : c.evidenceOf(this.#taskEvidenceOf.all({ ...where, checkpointId: c.parentId }) as TaskEvidenceRow[]);
      for (const blob of c.blobs) this.#insertBlob.run({ ...where, ...blob });
      this.#upsertCheckpoint.run({
        ...where,
        checkpointId: c.checkpointId,
        parentId: c.parentId,
        type: c.type,
        checkpoint: c.checkpoint,
        channelVersions: c.channelVersionsJson,
        metadata: c.metadataJson,
        evidence: evidence?.evidenceJson ?? null,
        verified: evidence?.verified ? 1 : 0,
        verification: evidence?.verificationJson ?? null,
        verifiedAt: evidence ? now : null,
        leaseItem: fence.itemId,
        leaseEpoch: fence.epoch,
        now,
      });
      if (keepLast !== undefined) this.#trimNamespace(c.threadId, c.ns, keepLast);
    });
  }

  async putWrites(w: NewSaverWrites, fence: Fence): Promise<void> {
    const now = this.#db.clock.now();
    const where = { threadId: w.threadId, ns: w.ns, checkpointId: w.checkpointId, taskId: w.taskId };
    // A task's regular writes are kept as first saved; its special writes (error, interrupt, …) replace earlier ones.
    const insert = w.replace ? this.#replaceWrite : this.#insertWrite;
    this.#db.writeTransaction(() => {
      this.#db.fencing.check(fence, 'langgraph-writes', now);
      for (const row of w.writes)
        insert.run({ ...where, ...row, taskPath: w.taskPath, leaseItem: fence.itemId, leaseEpoch: fence.epoch });
      if (w.evidence)
        this.#recordTaskEvidence.run({
          ...where,
          evidence: w.evidence.evidenceJson,
          verification: w.evidence.verificationJson,
          now,
        });
    });
  }

  async deleteThread(threadId: string, fence: Fence): Promise<void> {
    const now = this.#db.clock.now();
    this.#db.writeTransaction(() => {
      this.#db.fencing.check(fence, 'langgraph-delete', now);
      for (const statement of this.#deleteThread) statement.run(threadId);
    });
  }

  async trim(threadId: string, ns: string | undefined, keepLast: number, fence: Fence): Promise<TrimCounts> {
    const now = this.#db.clock.now();
    return this.#db.writeTransaction(() => {
      this.#db.fencing.check(fence, 'langgraph-trim', now);
      const namespaces = ns === undefined ? (this.#namespacesOf.all(threadId) as string[]) : [ns];
      const total: TrimCounts = { checkpoints: 0, writes: 0, blobs: 0 };
      for (const each of namespaces) {
        const r = this.#trimNamespace(threadId, each, keepLast);
        total.checkpoints += r.checkpoints;
        total.writes += r.writes;
        total.blobs += r.blobs;
      }
      return total;
    });
  }

  async checkpoint(
    threadId: string,
    ns: string,
    checkpointId: string | undefined,
  ): Promise<SaverCheckpointRow | undefined> {
    const params = { threadId, ns, checkpointId };
    return (checkpointId === undefined ? this.#latest.get(params) : this.#byId.get(params)) as
      | SaverCheckpointRow
      | undefined;
  }

  async read(threadId: string, ns: string, checkpointId: string | undefined): Promise<SaverCheckpoint | undefined> {
    const params = { threadId, ns, checkpointId };
    const statement = checkpointId === undefined ? this.#latest : this.#byId;
    return this.#contents.read(() => statement.all(params) as SaverCheckpointRow[])[0];
  }

  async list(query: SaverListQuery): Promise<SaverCheckpoint[]> {
    const params: Record<string, unknown> = {};
    const where: string[] = [];
    if (query.threadId !== undefined) where.push('thread_id = @threadId');
    if (query.ns !== undefined) where.push('checkpoint_ns = @ns');
    if (query.before !== undefined) where.push('checkpoint_id < @before');
    query.filter.forEach(([key, value], i) => {
      where.push(`metadata -> @path${i} = @value${i}`);
      params[`path${i}`] = `$.${JSON.stringify(key)}`;
      params[`value${i}`] = JSON.stringify(value);
    });
    const sql = `SELECT ${CHECKPOINT_COLUMNS} FROM langgraph_checkpoints${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY checkpoint_id DESC${query.limit !== undefined ? ' LIMIT @limit' : ''}`;
    const statement = this.#lists.get(sql) ?? this.#db.sqlite.prepare(sql);
    this.#lists.set(sql, statement);
    for (const key of ['threadId', 'ns', 'before', 'limit'] as const)
      if (query[key] !== undefined) params[key] = query[key];
    return this.#contents.read(() => statement.all(params) as SaverCheckpointRow[]);
  }

  async channelWritesOf(threadId: string, ns: string, checkpointId: string, channel: string): Promise<SaverValueRow[]> {
    return this.#channelWritesOf.all({ threadId, ns, checkpointId, channel }) as SaverValueRow[];
  }

  async taskEvidenceOf(threadId: string, ns: string, checkpointId: string): Promise<TaskEvidenceRow[]> {
    return this.#taskEvidenceOf.all({ threadId, ns, checkpointId }) as TaskEvidenceRow[];
  }

  async evidenceOf(threadId: string, ns: string, checkpointId: string): Promise<SaverEvidenceRow | undefined> {
    return this.#evidenceOf.get({ threadId, ns, checkpointId }) as SaverEvidenceRow | undefined;
  }

  async markVerified(
    threadId: string,
    ns: string,
    checkpointId: string,
    ok: boolean,
    verificationJson: string,
    fence: Fence,
  ): Promise<void> {
    const now = this.#db.clock.now();
    this.#db.writeTransaction(() => {
      this.#db.fencing.check(fence, 'langgraph-verify', now);
      this.#markVerified.run({ threadId, ns, checkpointId, verified: ok ? 1 : 0, verification: verificationJson, now });
    });
  }

  /** Inside the caller's write transaction. */
  #trimNamespace(threadId: string, ns: string, keepLast: number): TrimCounts {
    const where = { threadId, ns };
    const cutoff = this.#oldestKept.get({ ...where, offset: keepLast - 1 }) as string | undefined;
    if (cutoff === undefined) return { checkpoints: 0, writes: 0, blobs: 0 };
    const [checkpoints = 0, writes = 0] = this.#trimBefore.map(
      (statement) => statement.run({ ...where, cutoff }).changes,
    );
    const blobs = checkpoints ? this.#unreferencedBlobs.run(where).changes : 0;
    return { checkpoints, writes, blobs };
  }
}
