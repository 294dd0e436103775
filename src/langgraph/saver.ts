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
import { EvidenceVerifier, type EvidencePack, type VerificationResult } from '../evidence.js';
import type { LeasedOperation } from '../errors.js';
import type { Fence } from '../core/fence.js';
import { defaultWorkerId, renewIntervalFor } from '../core/leases.js';
import type {
  AgentStore,
  SaverCheckpoint,
  SaverCheckpointEvidence,
  SaverStore,
  SaverValueRow,
  TaskEvidenceRow,
  TrimCounts,
} from '../store.js';
import { InvalidArgumentError, assertId, assertPositiveInt } from '../validate.js';
import { addressOf, configurableOf, readAddressOf, threadIdOf, type CheckpointAddress } from './config.js';
import { TaskEvidenceError, ThreadBusyError } from './errors.js';
import { PendingEvidence, RefusedCheckpoints, combineEvidence } from './task-evidence.js';
import { ThreadLeases } from './thread-leases.js';
import { ThreadQueue } from './thread-queue.js';

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
export type TrimResult = TrimCounts;

/** The channel of LangGraph's pending sends (TASKS), whose writes fold into checkpoints written before format 4. */
const TASKS_CHANNEL = '__pregel_tasks';

/**
 * A LangGraph checkpointer on the recovery layer's database, SQLite or PostgreSQL. Beyond what LangGraph's savers do
 * (threads, namespaces, parent links, pending writes, only changed channel values stored, list with filters), a
 * thread has one owner at a time: the saver takes the thread's lease before its first write and fences every write by
 * it, so a second process gets ThreadBusyError and a run whose lease was taken over cannot write again
 * (LeaseLostError). A node can attach evidence that is verified before its writes are saved, and old checkpoints can
 * be trimmed to a limit.
 */
export class AgentosSaver extends BaseCheckpointSaver {
  readonly workerId: string;
  readonly keepLast: number | undefined;
  readonly verifier: EvidenceVerifier;
  readonly #store: SaverStore;
  readonly #threads: ThreadLeases;
  readonly #queue = new ThreadQueue();
  readonly #evidence = new PendingEvidence();
  readonly #refused = new RefusedCheckpoints();
  readonly #running = new Set<string>();
  readonly #renewIntervalMs: number;

  constructor(db: AgentStore, options: AgentosSaverOptions = {}) {
    const checked = checkOptions(options);
    super(checked.serde);
    this.workerId = checked.workerId ?? defaultWorkerId();
    const leaseDurationMs = checked.leaseDurationMs ?? 60_000;
    this.#renewIntervalMs = renewIntervalFor(leaseDurationMs, checked.renewIntervalMs, 'AgentosSaver: ');
    this.keepLast = checked.keepLast;
    this.verifier = new EvidenceVerifier({ baseDir: checked.baseDir ?? process.cwd() });
    this.#store = db.saverStore;
    this.#threads = new ThreadLeases(db, {
      workerId: this.workerId,
      leaseDurationMs,
      takeOverDeadHolders: checked.takeOverDeadHolders ?? true,
    });
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const address = readAddressOf(config, 'getTuple');
    if (!address) return undefined;
    const found = await this.#store.read(address.threadId, address.ns, address.checkpointId);
    return found ? this.#tuple(found) : undefined;
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
    const limit =
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a caller may be untyped JavaScript
      options.limit === undefined || options.limit === null ? undefined : Number.parseInt(String(options.limit), 10);
    if (limit !== undefined && !(limit >= 0))
      throw new InvalidArgumentError(
        `AgentosSaver.list: limit must be a whole number ≥ 0, got ${String(options.limit)}`,
      );
    const found = await this.#store.list({
      threadId,
      ns: ns ?? undefined,
      before,
      filter: Object.entries(options.filter ?? {}).filter(([, value]) => value !== undefined),
      limit,
    });
    for (const checkpoint of found) yield await this.#tuple(checkpoint);
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
    const { threadId, ns, checkpointId: parentId } = addressOf(config, 'put');
    await this.#queue.run(threadId, async () => {
      const refusal = this.#refused.checkpointRefusal(threadId, ns, parentId, checkpoint.id);
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
      const row = {
        threadId,
        ns,
        checkpointId: checkpoint.id,
        parentId: parentId ?? null,
        type,
        checkpoint: toBuffer(serialized),
        channelVersionsJson: versionsAsText(checkpoint.channel_versions),
        metadataJson: UTF8.decode(metadataBytes),
        blobs: channels.map((channel, i) => {
          const [blobType, value] = dumped[i] as [string, Uint8Array | null];
          return { channel, version: String(newVersions[channel]), type: blobType, value: value && toBuffer(value) };
        }),
        evidenceOf: checkpointEvidence,
      };
      await this.#threads.write(threadId, 'langgraph-put', (fence) => this.#store.put(row, fence, this.keepLast));
    });
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
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
    const pack = this.#evidence.take(threadId, taskId);
    // Refusals are judged in the thread's order: a put of the next checkpoint asked for after this call sees them.
    await this.#queue.run(threadId, async () => {
      const refusal = this.#refused.writesRefusal(threadId, ns, checkpointId);
      if (refusal) throw refusal;
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
      const saved = {
        threadId,
        ns,
        checkpointId,
        taskId,
        taskPath,
        writes: rows,
        replace: writes.every(([channel]) => channel in WRITES_IDX_MAP),
        evidence:
          pack && verification
            ? { evidenceJson: JSON.stringify(pack), verificationJson: JSON.stringify(verification) }
            : null,
      };
      await this.#threads.write(threadId, 'langgraph-writes', (fence) => this.#store.putWrites(saved, fence));
      this.#refused.acceptWrites(threadId, ns, checkpointId, taskId);
    });
  }

  /** Deletes the thread's checkpoints, values, writes and evidence, under its lease, then gives the thread back. */
  async deleteThread(threadId: string): Promise<void> {
    const id = threadIdOf(threadId, 'deleteThread');
    if (id === undefined) throw new InvalidArgumentError('AgentosSaver.deleteThread: threadId is missing');
    await this.#queue.run(id, async () => {
      await this.#threads.write(id, 'langgraph-delete', (fence) => this.#store.deleteThread(id, fence));
      await this.#threads.release(id);
    });
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
  async getEvidence(config: RunnableConfig): Promise<CheckpointEvidence | null> {
    const row = await this.#evidenceRow(config, 'getEvidence');
    if (!row?.evidence) return null;
    return {
      evidence: JSON.parse(row.evidence) as EvidencePack,
      verified: Boolean(row.verified),
      verification: row.verification ? (JSON.parse(row.verification) as VerificationResult) : null,
      verifiedAt: row.verified_at,
    };
  }

  /**
   * Re-checks a checkpoint's evidence now and records the outcome; null if it has none. Recording is a write to the
   * thread, fenced like trim(): a saver that does not own the thread gets ThreadBusyError (LeaseLostError once it
   * was taken over from it) and records nothing.
   */
  async verify(config: RunnableConfig): Promise<VerificationResult | null> {
    const found = await this.#evidenceRow(config, 'verify');
    if (!found?.evidence) return null;
    const result = this.verifier.verify(JSON.parse(found.evidence) as EvidencePack);
    const { threadId, ns, checkpointId } = found;
    await this.#writeOutsideRun(threadId, 'langgraph-verify', (fence) =>
      this.#store.markVerified(threadId, ns, checkpointId, result.ok, JSON.stringify(result), fence),
    );
    return result;
  }

  /**
   * Deletes all but the newest keepLast checkpoints of each of the thread's namespaces, with their writes and values
   * no kept checkpoint uses. Fenced like every other write to the thread: a saver that does not own it gets
   * ThreadBusyError.
   */
  async trim(threadId: string, keepLast: number): Promise<TrimResult> {
    const id = threadIdOf(threadId, 'trim');
    if (id === undefined) throw new InvalidArgumentError('AgentosSaver.trim: threadId is missing');
    assertPositiveInt('AgentosSaver.trim: keepLast', keepLast);
    return this.#writeOutsideRun(id, 'langgraph-trim', (fence) => this.#store.trim(id, undefined, keepLast, fence));
  }

  /** A write asked for outside a run: fenced by the thread's lease, taken for it and given back unless held before. */
  async #writeOutsideRun<T>(threadId: string, operation: LeasedOperation, write: (fence: Fence) => Promise<T>) {
    return this.#queue.run(threadId, async () => {
      const heldBefore = this.#threads.heldThreads().includes(threadId);
      try {
        return await this.#threads.write(threadId, operation, write);
      } finally {
        if (!heldBefore) await this.#threads.release(threadId);
      }
    });
  }

  /** Takes the thread's lease now (ThreadBusyError if another saver holds it), before the run's first write. */
  async claimThread(threadId: string): Promise<void> {
    const id = threadIdOf(threadId, 'claimThread');
    if (id === undefined) throw new InvalidArgumentError('AgentosSaver.claimThread: threadId is missing');
    await this.#queue.run(id, () => this.#threads.claim(id));
  }

  /**
   * The thread's lease (taken now if this saver does not hold it; LeaseLostError if it was taken over): pass it to
   * writes a node makes on the layer, e.g. ToolLedger.run(command, { lease }), so they are fenced by it too.
   */
  async threadLease(threadId: string): Promise<Fence> {
    const id = threadIdOf(threadId, 'threadLease');
    if (id === undefined) throw new InvalidArgumentError('AgentosSaver.threadLease: threadId is missing');
    return this.#queue.run(id, () => this.#threads.claim(id));
  }

  /** Gives the thread back so another saver can take it at once (and forgets a lease that was taken over). */
  async releaseThread(threadId: string): Promise<void> {
    const id = threadIdOf(threadId, 'releaseThread');
    if (id === undefined) return;
    await this.#queue.run(id, () => this.#threads.release(id));
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
    this.#running.add(id);
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.#queue.run(id, () => this.#threads.claim(id));
      timer = setInterval(() => {
        // A lease that cannot be renewed was taken over: the run's next write is refused with LeaseLostError.
        this.#queue.run(id, () => this.#threads.renew(id)).catch(() => undefined);
      }, this.#renewIntervalMs);
      timer.unref();
      return await fn();
    } finally {
      clearInterval(timer);
      this.#running.delete(id);
      await this.#queue.run(id, () => this.#threads.release(id));
    }
  }

  /** Gives back every thread this saver holds. The database stays open (it is the caller's). */
  async releaseAll(): Promise<void> {
    await Promise.all(this.#threads.heldThreads().map((id) => this.#queue.run(id, () => this.#threads.release(id))));
  }

  async #evidenceRow(config: RunnableConfig, method: string) {
    const address: CheckpointAddress = addressOf(config, method);
    const { threadId, ns } = address;
    const checkpointId = address.checkpointId ?? (await this.#store.checkpoint(threadId, ns, undefined))?.checkpoint_id;
    if (checkpointId === undefined) return undefined;
    const row = await this.#store.evidenceOf(threadId, ns, checkpointId);
    return row && { ...row, threadId, ns, checkpointId };
  }

  async #tuple(row: SaverCheckpoint): Promise<CheckpointTuple> {
    const blobs = row.blobs.filter((b) => b.type !== 'empty');
    // One await for every deserialization: the checkpoint, its metadata, each value and each pending write.
    const [stored, metadata, ...loaded] = await Promise.all([
      this.serde.loadsTyped(row.type, row.checkpoint) as Promise<Omit<Checkpoint, 'channel_values'>>,
      this.serde.loadsTyped('json', row.metadata) as Promise<CheckpointMetadata>,
      ...blobs.map((b) => this.#load(b)),
      ...row.writes.map((w) => this.#load(w)),
    ]);
    const values: Record<string, unknown> = {};
    blobs.forEach((b, i) => (values[b.channel] = loaded[i]));
    const checkpoint: Checkpoint = { ...stored, channel_values: values };
    const pendingWrites = row.writes.map(
      (w, i): CheckpointPendingWrite => [w.task_id, w.channel, loaded[blobs.length + i]],
    );
    if (checkpoint.v < 4 && row.parent_checkpoint_id !== null)
      await this.#foldPendingSends(checkpoint, row.thread_id, row.checkpoint_ns, row.parent_checkpoint_id);
    const address = { thread_id: row.thread_id, checkpoint_ns: row.checkpoint_ns };
    const tuple: CheckpointTuple = {
      config: { configurable: { ...address, checkpoint_id: row.checkpoint_id } },
      checkpoint,
      metadata,
      pendingWrites,
    };
    if (row.parent_checkpoint_id !== null)
      tuple.parentConfig = { configurable: { ...address, checkpoint_id: row.parent_checkpoint_id } };
    return tuple;
  }

  /** Checkpoints written before format 4 kept pending sends in their parent's writes: they become the TASKS channel. */
  async #foldPendingSends(checkpoint: Checkpoint, threadId: string, ns: string, parentId: string): Promise<void> {
    const sends = await this.#store.channelWritesOf(threadId, ns, parentId, TASKS_CHANNEL);
    checkpoint.channel_values[TASKS_CHANNEL] = await Promise.all(sends.map((s) => this.#load(s)));
    const versions = Object.values(checkpoint.channel_versions);
    (checkpoint.channel_versions as Record<string, number | string>)[TASKS_CHANNEL] =
      versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }

  #load(row: SaverValueRow): Promise<unknown> {
    const value = row.value ?? Buffer.alloc(0);
    // A plain Uint8Array, as it was given, not the driver's Buffer.
    return this.serde.loadsTyped(row.type, row.type === 'bytes' ? new Uint8Array(value) : value) as Promise<unknown>;
  }
}

const UTF8 = new TextDecoder();

/** A checkpoint's evidence: that of the tasks run from its parent, combined; null when they attached none. */
function checkpointEvidence(rows: readonly TaskEvidenceRow[]): SaverCheckpointEvidence | null {
  const combined = combineEvidence(rows);
  return (
    combined && {
      evidenceJson: JSON.stringify(combined.evidence),
      verified: combined.verification.ok,
      verificationJson: JSON.stringify(combined.verification),
    }
  );
}
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
