import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  WRITES_IDX_MAP,
  maxChannelVersion,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { AgentDatabase } from '../db.js';
import { EvidenceVerifier, type EvidencePack, type VerificationResult } from '../evidence.js';
import type { Fence } from '../core/fence.js';
import { defaultWorkerId, renewIntervalFor, type Lease } from '../core/leases.js';
import { InvalidArgumentError, assertId, assertPositiveInt } from '../validate.js';
import { addressOf, configurableOf, readAddressOf, threadIdOf, type CheckpointAddress } from './config.js';
import { TaskEvidenceError, ThreadBusyError } from './errors.js';
import {
  SaverStatements,
  TASKS_CHANNEL,
  type BlobRow,
  type CheckpointRow,
  type EvidenceRow,
  type ValueRow,
  type WriteRow,
} from './store.js';
import { PendingEvidence, RefusedCheckpoints, combineEvidence } from './task-evidence.js';
import { ThreadLeases } from './thread-leases.js';

export interface AgentosSaverOptions {
  /** Who this saver is in lease records and ThreadBusyError (default: host, pid and a random suffix). */
  workerId?: string;
  /**
   * Length of a thread's lease in ms (default 60,000). Writes renew it; a saver that stops writing without releasing
   * the thread (or dies on another host) holds it this long at most.
   */
  leaseDurationMs?: number;
  /** How often withThread() renews the lease while its run is between writes (default a third of the lease). */
  renewIntervalMs?: number;
  /**
   * Take over at once a thread whose holder was a process on this host that has ended (pid and start time), instead
   * of waiting for its lease to expire (default true). The old holder's writes are fenced out either way.
   */
  takeOverDeadHolders?: boolean;
  /** Keep only the newest keepLast checkpoints of each thread's namespace, trimmed as part of each put (default: all). */
  keepLast?: number;
  /** Directory evidence paths are confined to (default: the current working directory). */
  baseDir?: string;
  /** LangGraph's serializer (default JsonPlusSerializer). Metadata must serialize to its "json" type. */
  serde?: SerializerProtocol;
}

const OPTION_NAMES: readonly string[] = [
  'workerId',
  'leaseDurationMs',
  'renewIntervalMs',
  'takeOverDeadHolders',
  'keepLast',
  'baseDir',
  'serde',
];

/** What a checkpoint's evidence says: none (null), or the items and how they verified. */
export interface CheckpointEvidence {
  evidence: EvidencePack;
  verified: boolean;
  verification: VerificationResult | null;
  verifiedAt: number | null;
}

/** How many rows a trim deleted. */
export interface TrimResult {
  checkpoints: number;
  writes: number;
  blobs: number;
}

/**
 * A LangGraph checkpointer on the recovery layer's database. Beyond what LangGraph's savers do (threads, namespaces,
 * parent links, pending writes, only changed channel values stored, list with filters), a thread has one owner at a
 * time: the saver takes the thread's lease before its first write and fences every write by it, so a second process
 * gets ThreadBusyError and a run whose lease was taken over cannot write again (LeaseLostError). A node can attach
 * evidence that is verified before its writes are saved, and old checkpoints can be trimmed to a limit.
 */
export class AgentosSaver extends BaseCheckpointSaver {
  readonly workerId: string;
  readonly keepLast: number | undefined;
  readonly verifier: EvidenceVerifier;
  readonly #db: AgentDatabase;
  readonly #sql: SaverStatements;
  readonly #threads: ThreadLeases;
  readonly #evidence = new PendingEvidence();
  readonly #refused = new RefusedCheckpoints();
  readonly #running = new Set<string>();
  readonly #renewIntervalMs: number;

  constructor(db: AgentDatabase, options: AgentosSaverOptions = {}) {
    const checked = checkOptions(options);
    super(checked.serde);
    this.workerId = checked.workerId ?? defaultWorkerId();
    const leaseDurationMs = checked.leaseDurationMs ?? 60_000;
    this.#renewIntervalMs = renewIntervalFor(leaseDurationMs, checked.renewIntervalMs, 'AgentosSaver: ');
    this.keepLast = checked.keepLast;
    this.verifier = new EvidenceVerifier({ baseDir: checked.baseDir ?? process.cwd() });
    this.#db = db;
    this.#sql = new SaverStatements(db.sqlite);
    this.#threads = new ThreadLeases(db, {
      workerId: this.workerId,
      leaseDurationMs,
      takeOverDeadHolders: checked.takeOverDeadHolders ?? true,
    });
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const address = readAddressOf(config, 'getTuple');
    if (!address) return undefined;
    const params = { threadId: address.threadId, ns: address.ns, checkpointId: address.checkpointId };
    const row = (address.checkpointId === undefined ? this.#sql.latest.get(params) : this.#sql.byId.get(params)) as
      | CheckpointRow
      | undefined;
    return row ? this.#tuple(row) : undefined;
  }

  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a caller may be untyped JavaScript
    const configurable: Record<string, unknown> = config?.configurable ?? {};
    const threadId = threadIdOf(configurable.thread_id, 'list');
    const ns = configurable.checkpoint_ns;
    if (ns !== undefined && ns !== null && typeof ns !== 'string') {
      throw new InvalidArgumentError(
        `AgentosSaver.list: config.configurable.checkpoint_ns must be a string, got ${typeof ns}`,
      );
    }
    const before = options.before?.configurable?.checkpoint_id as string | undefined;
    const filter = Object.entries(options.filter ?? {}).filter(([, value]) => value !== undefined);
    const limit =
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a caller may be untyped JavaScript
      options.limit === undefined || options.limit === null ? undefined : Number.parseInt(String(options.limit), 10);
    if (limit !== undefined && !(limit >= 0))
      throw new InvalidArgumentError(
        `AgentosSaver.list: limit must be a whole number ≥ 0, got ${String(options.limit)}`,
      );
    const query = { threadId, ns: ns ?? undefined, before, filterKeys: filter.map(([key]) => key), limit };
    const params: Record<string, unknown> = { threadId, ns, before, limit };
    filter.forEach(([key, value], i) => {
      params[`path${i}`] = `$.${JSON.stringify(key)}`;
      params[`value${i}`] = JSON.stringify(value);
    });
    const statement = this.#sql.list(query);
    const used = Object.fromEntries(
      Object.entries(params).filter(([, value]) => value !== undefined && value !== null),
    );
    // All rows first: better-sqlite3 cannot run another statement on the connection while one is being iterated.
    const rows = statement.all(used) as CheckpointRow[];
    for (const row of rows) yield await this.#tuple(row);
  }

  /**
   * Saves a checkpoint under the thread's lease (taken first if this saver does not hold it: ThreadBusyError if
   * another does). Only the channels in newVersions get their values stored; the others are already stored under
   * the versions the checkpoint names.
   */
  async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions = {},
  ): Promise<RunnableConfig> {
    const address = addressOf(config, 'put');
    const refusal = this.#refused.checkpointRefusal(address.threadId, address.ns, address.checkpointId, checkpoint.id);
    if (refusal) throw refusal;
    const { channel_values: values = {}, ...rest } = checkpoint;
    const channels = Object.keys(newVersions);
    // One await for every serialization: the checkpoint without its values, the metadata, each changed channel.
    const [[type, serialized], [metadataType, metadataBytes], ...dumped] = await Promise.all([
      this.serde.dumpsTyped(rest),
      this.serde.dumpsTyped(metadata),
      ...channels.map((channel) => (channel in values ? this.serde.dumpsTyped(values[channel]) : EMPTY_VALUE)),
    ]);
    if (metadataType !== 'json')
      throw new InvalidArgumentError(
        `AgentosSaver.put: metadata must serialize to JSON (list() filters on it), got type "${metadataType}"`,
      );
    const now = this.#db.clock.now();
    const lease = this.#threads.leaseFor(address.threadId, 'langgraph-put', now);
    const where = { threadId: address.threadId, ns: address.ns };
    this.#db.writeTransaction(() => {
      this.#threads.check(address.threadId, lease, 'langgraph-put', now);
      channels.forEach((channel, i) => {
        const [blobType, value] = dumped[i] as [string, Uint8Array | null];
        this.#sql.insertBlob.run({
          threadId: where.threadId,
          ns: where.ns,
          channel,
          version: String(newVersions[channel]),
          type: blobType,
          value: value && toBuffer(value),
        });
      });
      const evidence =
        address.checkpointId === undefined
          ? null
          : combineEvidence(
              this.#sql.taskEvidenceOf.all({ ...where, checkpointId: address.checkpointId }) as {
                evidence: string;
                verification: string;
              }[],
            );
      this.#sql.upsertCheckpoint.run({
        ...where,
        checkpointId: checkpoint.id,
        parentId: address.checkpointId ?? null,
        type,
        checkpoint: toBuffer(serialized),
        channelVersions: versionsAsText(checkpoint.channel_versions),
        metadata: UTF8.decode(metadataBytes),
        evidence: evidence ? JSON.stringify(evidence.evidence) : null,
        verified: evidence?.verification.ok ? 1 : 0,
        verification: evidence ? JSON.stringify(evidence.verification) : null,
        verifiedAt: evidence ? now : null,
        leaseItem: lease.itemId,
        leaseEpoch: lease.epoch,
        now,
      });
      if (this.keepLast !== undefined) this.#trim(address.threadId, address.ns, this.keepLast);
    });
    return { configurable: { thread_id: address.threadId, checkpoint_ns: address.ns, checkpoint_id: checkpoint.id } };
  }

  /**
   * Saves a task's writes to the checkpoint it ran from, under the thread's lease. Evidence the task attached is
   * verified first: if it fails, TaskEvidenceError and nothing is saved, so the task runs again on resume.
   */
  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath = ''): Promise<void> {
    const address = addressOf(config, 'putWrites');
    if (address.checkpointId === undefined) {
      throw new InvalidArgumentError(
        'AgentosSaver.putWrites: config.configurable.checkpoint_id is missing; writes belong to the checkpoint their task ran from',
      );
    }
    assertId('AgentosSaver.putWrites: taskId', taskId);
    const { threadId, ns, checkpointId } = address;
    const refusal = this.#refused.writesRefusal(threadId, ns, checkpointId);
    if (refusal) throw refusal;
    const pack = this.#evidence.take(threadId, taskId);
    const verification = pack ? this.verifier.verify(pack) : null;
    if (verification && !verification.ok) {
      const error = new TaskEvidenceError(
        threadId,
        taskId,
        verification.failures.map((f) => ({ index: f.index, kind: f.kind, reason: f.reason ?? 'failed' })),
      );
      this.#refused.refuseWrites(threadId, ns, checkpointId, taskId, error);
      throw error;
    }
    const rows = await Promise.all(
      writes.map(async ([channel, value], idx) => {
        const [type, serialized] = await this.serde.dumpsTyped(value);
        return { channel, idx: WRITES_IDX_MAP[channel] ?? idx, type, value: toBuffer(serialized) };
      }),
    );
    const insert = writes.every(([channel]) => channel in WRITES_IDX_MAP)
      ? this.#sql.replaceWrite
      : this.#sql.insertWrite;
    const now = this.#db.clock.now();
    const lease = this.#threads.leaseFor(address.threadId, 'langgraph-writes', now);
    const where = { threadId: address.threadId, ns: address.ns, checkpointId: address.checkpointId, taskId };
    this.#db.writeTransaction(() => {
      this.#threads.check(address.threadId, lease, 'langgraph-writes', now);
      for (const row of rows)
        insert.run({ ...where, ...row, taskPath, leaseItem: lease.itemId, leaseEpoch: lease.epoch });
      if (pack && verification)
        this.#sql.recordTaskEvidence.run({
          ...where,
          evidence: JSON.stringify(pack),
          verification: JSON.stringify(verification),
          now,
        });
    });
    this.#refused.acceptWrites(threadId, ns, checkpointId, taskId);
  }

  /** Deletes the thread's checkpoints, values, writes and evidence, under its lease, then gives the thread back. */
  async deleteThread(threadId: string): Promise<void> {
    const id = threadIdOf(threadId, 'deleteThread');
    if (id === undefined) throw new InvalidArgumentError('AgentosSaver.deleteThread: threadId is missing');
    const now = this.#db.clock.now();
    const lease = this.#threads.leaseFor(id, 'langgraph-delete', now);
    this.#db.writeTransaction(() => {
      this.#threads.check(id, lease, 'langgraph-delete', now);
      for (const statement of this.#sql.deleteThread) statement.run(id);
    });
    this.#threads.release(id);
  }

  /**
   * Channel versions that never repeat across forks: the next integer above the current version plus a random
   * fraction. Values are stored once per (channel, version), so two branches of a thread that both advanced a channel
   * from the same version must not share the number (the idea of LangGraph's Python PostgresSaver).
   */
  override getNextVersion(current: number | undefined): number {
    const base = typeof current === 'number' ? Math.floor(current) : 0;
    return base + 1 + Math.random() * 0.999;
  }

  /**
   * Attaches evidence from inside a node: call it with the config the node receives. It is verified when the node's
   * writes are saved; if it fails, the writes are refused (TaskEvidenceError) and the node runs again on resume. The
   * checkpoint those writes produce records it (getEvidence).
   */
  attachEvidence(config: RunnableConfig, pack: EvidencePack): void {
    const configurable = configurableOf(config, 'attachEvidence');
    const threadId = threadIdOf(configurable.thread_id, 'attachEvidence');
    const taskId = configurable.__pregel_task_id;
    if (threadId === undefined || typeof taskId !== 'string') {
      throw new InvalidArgumentError(
        'AgentosSaver.attachEvidence: pass the config a LangGraph node receives (it names the thread and the task)',
      );
    }
    this.#evidence.attach(threadId, taskId, pack);
  }

  /** A checkpoint's evidence (latest of the thread when the config names no checkpoint), or null if it has none. */
  getEvidence(config: RunnableConfig): CheckpointEvidence | null {
    const row = this.#evidenceRow(config, 'getEvidence');
    if (!row?.evidence) return null;
    return {
      evidence: JSON.parse(row.evidence) as EvidencePack,
      verified: row.verified === 1,
      verification: row.verification ? (JSON.parse(row.verification) as VerificationResult) : null,
      verifiedAt: row.verified_at,
    };
  }

  /** Re-checks a checkpoint's evidence now and records the outcome; null if it has none. */
  verify(config: RunnableConfig): VerificationResult | null {
    const address = addressOf(config, 'verify');
    const found = this.#evidenceRow(config, 'verify');
    if (!found?.evidence) return null;
    const result = this.verifier.verify(JSON.parse(found.evidence) as EvidencePack);
    const now = this.#db.clock.now();
    this.#db.writeTransaction(() =>
      this.#sql.markVerified.run({
        threadId: address.threadId,
        ns: address.ns,
        checkpointId: found.checkpointId,
        verified: result.ok ? 1 : 0,
        verification: JSON.stringify(result),
        now,
      }),
    );
    return result;
  }

  /** Deletes all but the newest keepLast checkpoints of each of the thread's namespaces, with their writes and values no kept checkpoint uses. */
  trim(threadId: string, keepLast: number): TrimResult {
    const id = threadIdOf(threadId, 'trim');
    if (id === undefined) throw new InvalidArgumentError('AgentosSaver.trim: threadId is missing');
    assertPositiveInt('AgentosSaver.trim: keepLast', keepLast);
    const namespaces = this.#sql.namespacesOf.all(id) as string[];
    // Fenced like every other write to the thread: a saver that does not own it gets ThreadBusyError.
    const heldBefore = this.#threads.heldThreads().includes(id);
    const now = this.#db.clock.now();
    const lease = this.#threads.leaseFor(id, 'langgraph-trim', now);
    try {
      return this.#trimUnder(id, lease, namespaces, keepLast, now);
    } finally {
      if (!heldBefore) this.#threads.release(id);
    }
  }

  #trimUnder(id: string, lease: Lease<unknown>, namespaces: string[], keepLast: number, now: number): TrimResult {
    return this.#db.writeTransaction(() => {
      this.#threads.check(id, lease, 'langgraph-trim', now);
      const total: TrimResult = { checkpoints: 0, writes: 0, blobs: 0 };
      for (const ns of namespaces) {
        const r = this.#trim(id, ns, keepLast);
        total.checkpoints += r.checkpoints;
        total.writes += r.writes;
        total.blobs += r.blobs;
      }
      return total;
    });
  }

  /** Takes the thread's lease now (ThreadBusyError if another saver holds it), before the run's first write. */
  claimThread(threadId: string): void {
    const id = threadIdOf(threadId, 'claimThread');
    if (id === undefined) throw new InvalidArgumentError('AgentosSaver.claimThread: threadId is missing');
    this.#threads.claim(id);
  }

  /**
   * The thread's lease (taken now if this saver does not hold it; LeaseLostError if it was taken over): pass it to
   * writes a node makes on the layer, e.g. ToolLedger.run(command, { lease }), so they are fenced by it too.
   */
  threadLease(threadId: string): Fence {
    const id = threadIdOf(threadId, 'threadLease');
    if (id === undefined) throw new InvalidArgumentError('AgentosSaver.threadLease: threadId is missing');
    return this.#threads.claim(id);
  }

  /** Gives the thread back so another saver can take it at once (and forgets a lease that was taken over). */
  releaseThread(threadId: string): void {
    const id = threadIdOf(threadId, 'releaseThread');
    if (id === undefined) return;
    this.#threads.release(id);
    this.#refused.forgetThread(id);
  }

  /**
   * Runs fn as the thread's one owner: claims the thread (ThreadBusyError if another saver, or another withThread of
   * this one, runs it), renews the lease every renewIntervalMs while fn runs, and releases it when fn settles.
   */
  async withThread<T>(threadId: string, fn: () => Promise<T> | T): Promise<T> {
    const id = threadIdOf(threadId, 'withThread');
    if (id === undefined) throw new InvalidArgumentError('AgentosSaver.withThread: threadId is missing');
    if (this.#running.has(id)) throw new ThreadBusyError(id, this.workerId, null);
    this.#threads.claim(id);
    this.#running.add(id);
    const timer = setInterval(() => {
      try {
        this.#threads.renew(id);
      } catch {
        // A lease that cannot be renewed was taken over: the run's next write is refused with LeaseLostError.
      }
    }, this.#renewIntervalMs);
    timer.unref();
    try {
      return await fn();
    } finally {
      clearInterval(timer);
      this.#running.delete(id);
      this.#threads.release(id);
    }
  }

  /** Gives back every thread this saver holds. The database stays open (it is the caller's). */
  releaseAll(): void {
    for (const id of this.#threads.heldThreads()) this.#threads.release(id);
  }

  #evidenceRow(config: RunnableConfig, method: string): (EvidenceRow & { checkpointId: string }) | undefined {
    const address: CheckpointAddress = addressOf(config, method);
    const checkpointId =
      address.checkpointId ??
      (this.#sql.latest.get({ threadId: address.threadId, ns: address.ns }) as CheckpointRow | undefined)
        ?.checkpoint_id;
    if (checkpointId === undefined) return undefined;
    const row = this.#sql.evidenceOf.get({ threadId: address.threadId, ns: address.ns, checkpointId }) as
      | EvidenceRow
      | undefined;
    return row && { ...row, checkpointId };
  }

  #trim(threadId: string, ns: string, keepLast: number): TrimResult {
    const where = { threadId, ns };
    const cutoff = this.#sql.oldestKept.pluck().get({ ...where, offset: keepLast - 1 }) as string | undefined;
    if (cutoff === undefined) return { checkpoints: 0, writes: 0, blobs: 0 };
    const [checkpoints, writes] = this.#sql.trimBefore.map((statement) => statement.run({ ...where, cutoff }).changes);
    const blobs = checkpoints ? this.#sql.unreferencedBlobs.run(where).changes : 0;
    return { checkpoints: checkpoints ?? 0, writes: writes ?? 0, blobs };
  }

  async #tuple(row: CheckpointRow): Promise<CheckpointTuple> {
    const where = { threadId: row.thread_id, ns: row.checkpoint_ns, checkpointId: row.checkpoint_id };
    const stored = (await this.serde.loadsTyped(row.type, row.checkpoint)) as Omit<Checkpoint, 'channel_values'>;
    const blobs = (this.#sql.blobsOf.all({ ...where, channelVersions: row.channel_versions }) as BlobRow[]).filter(
      (b) => b.type !== 'empty',
    );
    const values = Object.fromEntries(
      await Promise.all(blobs.map(async (b) => [b.channel, await this.#load(b)] as const)),
    );
    const checkpoint: Checkpoint = { ...stored, channel_values: values };
    const writeRows = this.#sql.writesOf.all(where) as WriteRow[];
    const pendingWrites: CheckpointPendingWrite[] = await Promise.all(
      writeRows.map(async (w) => [w.task_id, w.channel, await this.#load(w)] as CheckpointPendingWrite),
    );
    if (checkpoint.v < 4 && row.parent_checkpoint_id !== null)
      await this.#foldPendingSends(checkpoint, { ...where, checkpointId: row.parent_checkpoint_id });
    const address = { thread_id: row.thread_id, checkpoint_ns: row.checkpoint_ns };
    const tuple: CheckpointTuple = {
      config: { configurable: { ...address, checkpoint_id: row.checkpoint_id } },
      checkpoint,
      metadata: (await this.serde.loadsTyped('json', row.metadata)) as CheckpointMetadata,
      pendingWrites,
    };
    if (row.parent_checkpoint_id !== null)
      tuple.parentConfig = { configurable: { ...address, checkpoint_id: row.parent_checkpoint_id } };
    return tuple;
  }

  /** Checkpoints written before format 4 kept pending sends in their parent's writes: they become the TASKS channel. */
  async #foldPendingSends(
    checkpoint: Checkpoint,
    parent: { threadId: string; ns: string; checkpointId: string },
  ): Promise<void> {
    const sends = this.#sql.sendsOf.all(parent) as ValueRow[];
    checkpoint.channel_values[TASKS_CHANNEL] = await Promise.all(sends.map((s) => this.#load(s)));
    const versions = Object.values(checkpoint.channel_versions);
    (checkpoint.channel_versions as Record<string, number | string>)[TASKS_CHANNEL] =
      versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  async #load(row: ValueRow): Promise<unknown> {
    const value = row.value ?? Buffer.alloc(0);
    // A plain Uint8Array, as it was given, not better-sqlite3's Buffer.
    return this.serde.loadsTyped(row.type, row.type === 'bytes' ? new Uint8Array(value) : value);
  }
}

const UTF8 = new TextDecoder();
/** A channel that is in newVersions but has no value (it was cleared): stored as such, and skipped when loading. */
const EMPTY_VALUE: Promise<[string, null]> = Promise.resolve(['empty', null]);

/** {channel: version} with every version as text: how the blob rows are keyed, matched in SQL as stored. */
function versionsAsText(versions: ChannelVersions | undefined): string {
  const text: Record<string, string> = {};
  for (const channel in versions) text[channel] = String(versions[channel]);
  return JSON.stringify(text);
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Every option, checked before anything is touched; errors name the option and what is valid. */
function checkOptions(options: unknown): AgentosSaverOptions {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError(`AgentosSaver: options must be an object, got ${String(options)}`);
  const unknown = Object.keys(options).find((key) => !OPTION_NAMES.includes(key));
  if (unknown !== undefined)
    throw new InvalidArgumentError(
      `AgentosSaver: unknown option "${unknown}"; the options are ${OPTION_NAMES.join(', ')}`,
    );
  const o = options as AgentosSaverOptions;
  if (o.workerId !== undefined) assertId('AgentosSaver: workerId', o.workerId);
  if (o.leaseDurationMs !== undefined) assertPositiveInt('AgentosSaver: leaseDurationMs', o.leaseDurationMs);
  if (o.renewIntervalMs !== undefined) assertPositiveInt('AgentosSaver: renewIntervalMs', o.renewIntervalMs);
  if (o.keepLast !== undefined) assertPositiveInt('AgentosSaver: keepLast', o.keepLast);
  if (o.takeOverDeadHolders !== undefined && typeof o.takeOverDeadHolders !== 'boolean') {
    throw new InvalidArgumentError(
      `AgentosSaver: takeOverDeadHolders must be true or false, got ${JSON.stringify(o.takeOverDeadHolders)}`,
    );
  }
  if (o.baseDir !== undefined && (typeof o.baseDir !== 'string' || o.baseDir === '')) {
    throw new InvalidArgumentError(`AgentosSaver: baseDir must be a directory path, got ${JSON.stringify(o.baseDir)}`);
  }
  return o;
}
