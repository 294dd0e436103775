import type {
  AgentDatabase,
  CheckpointManager,
  Clock,
  Durability,
  LLMOutputCache,
  LeaseManager,
  SweepStats,
  TaskDefinition,
  TaskRunResult,
  TaskRunnerOptions,
  ToolLedger,
} from '../src/index.js';
import type { AgentosSaver } from '../src/langgraph/index.js';

/** This layer's services, the same code on either store: what a scenario requires when it declares nothing. */
export const LAYER_CAPABILITIES = [
  'checkpoints',
  'sequence',
  'integrity',
  'leases',
  'tools',
  'tasks',
  'cache',
] as const;

/**
 * What a subject can do, and so which scenarios and criteria apply to it:
 * - `checkpoints`: commit checkpoints to a task and read back what is stored (every subject);
 * - `sequence`: per-task sequence numbers 1, 2, 3, … and a "latest" read by them (this layer's stores);
 * - `integrity`: a storage-level consistency check (PRAGMA integrity_check, amcheck on PostgreSQL);
 * - `leases`: this layer's fenced leases, its lease log, and the reclaim of expired leases;
 * - `tools`: this layer's tool ledger (calls recorded, replayed, fenced by leases): the check of effects at most once;
 * - `tasks`: this layer's task runner (one owner per task, resume after the last checkpoint) and task statuses;
 * - `cache`: this layer's LLM output cache;
 * - `sweep`: this layer's RecoverySweep in full (each reclaimed lease recorded as a checkpoint, old ones trimmed);
 * - `langgraph`: AgentosSaver, this layer as LangGraph's checkpointer;
 * - `server`: a database server the harness can crash, restart and cut connections to (the postgres subjects);
 * - `sqlite-file`: this layer's SQLite file in the run folder, for what acts on the file itself: a backup copies it,
 *   a power loss or a full disk strikes it.
 */
export const CAPABILITIES = [...LAYER_CAPABILITIES, 'sweep', 'langgraph', 'server', 'sqlite-file'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** The subject a run uses when none is named: this layer on its embedded SQLite file. */
export const DEFAULT_SUBJECT = 'agentos-sqlite';

/** Where one run's subject keeps its data: what prepare() and teardown() get, and (with a worker's side) open(). */
export interface SubjectConfig {
  /** The subject's name, as declared. */
  name: string;
  /** The run's own folder (a fresh temporary directory, removed after a run that passed). */
  runDir: string;
  /** Subjects with `server: 'postgres'`: the run's server (always an explicit URL) and its own fresh schema name. */
  pgUrl?: string;
  schema?: string;
}

/** What a worker process finds in SUBJECT_VARIABLE: the run's config and the subject file it imports. */
export interface WorkerSubjectConfig extends SubjectConfig {
  module: string;
}

/** What a worker process finds in SUBJECT_VARIABLE: the run's config and the subject file it imports. */
export interface WorkerSubjectConfig extends SubjectConfig {
  module: string;
}

/** This layer's SQLite file, in the run folder (agentos-sqlite). */
export const LAYER_FILE = 'agentos.db';

/** The variable a worker finds its SubjectConfig in (JSON). */
export const SUBJECT_VARIABLE = 'AGENTOS_SUBJECT';

/** The application_name a worker's connections carry, so a fault can find them in pg_stat_activity. */
export function applicationName(config: SubjectConfig, workerId: string): string {
  return `${config.schema ?? 'agentos'}/${workerId}`.slice(0, 63);
}

/** A checkpoint as the subject stores it: its id (as a string), task, sequence number and step if it has them, and token. */
export interface StoredCheckpoint {
  id: string;
  taskId: string;
  seq?: number;
  step?: string;
  token?: string;
}

/** The subject's state after a run, read through its own API: what the subject-aware checks judge. */
export interface FinalState {
  checkpoints: StoredCheckpoint[];
  /** Per task, the sequence number the subject's "latest" read returns (subjects with `sequence`). */
  latest: Record<string, number>;
  /** "ok", or what the storage's own consistency check reported. */
  integrity: string[];
  /** Subjects with `tasks`: each task's stored status. */
  tasks?: Record<string, string>;
  /** Subjects with `leases`: the lease log in commit order, fenced checkpoint rows, and work items by status. */
  leases?: {
    log: LeaseLogEntry[];
    fencedCheckpoints: { item: string; epoch: number; n: number }[];
    itemsByStatus: Record<string, number>;
  };
}

/** One acquisition, reclaim or write accepted under a lease, as the lease log recorded it. */
export interface LeaseLogEntry {
  seq: number;
  item_id: string;
  epoch: number;
  holder: string;
  op: string;
}

/** What a worker commits through: the subject's own client, in that worker's process. */
export interface SubjectStore {
  /** Commits one checkpoint; resolves once the subject acknowledged it with its id (and sequence number, if any). */
  commit(
    taskId: string,
    step: string,
    state: { token: string } & Record<string, unknown>,
  ): Promise<{ id: number | string; seq?: number }>;
  /** Holds the subject's write lock (or the nearest thing) for holdMs, blocking other writers. */
  holdWriteLock(holdMs: number, onHeld: () => void): Promise<void>;
  /** Subjects with `leases`: this worker's lease manager, and checkpoints that may be written under a lease. */
  leases?: (options: { workerId: string; leaseDurationMs: number }) => {
    leases: LeaseManager;
    checkpoints: CheckpointManager;
    /** Creates a task's or a thread's ownership item ("task:…", "thread:…"), which enqueue refuses. */
    ensureOwnershipItem: (itemId: string, taskId: string | null) => Promise<void>;
  };
  /** Subjects with `leases`: a recovery sweep (recording each reclaim as a checkpoint needs `sweep`). */
  sweep?: (options: { createCheckpoints: boolean }) => Sweep;
  /** Subjects with `tools`: this worker's tool ledger (its calls may be fenced by the same leases). */
  tools?: ToolLedger;
  /** Subjects with `cache`: this worker's LLM output cache. */
  cache?: LLMOutputCache;
  /** Subjects with `tasks`: a task runner on this worker's store, verifying step evidence under baseDir. */
  runner?: <S>(
    definition: TaskDefinition<S>,
    options: SubjectTaskRunnerOptions<S>,
    baseDir: string,
  ) => { run(taskId: string): Promise<TaskRunResult<S>> };
  /** Subjects with `langgraph`: AgentosSaver on this worker's store. */
  saver?: (options: { workerId: string; baseDir: string }) => Promise<AgentosSaver>;
  close(): Promise<void>;
}

/**
 * The task runner's options as a subject gets them: the layer's, except that a finished step is acknowledged with
 * what any subject can say of what it recorded: its id (a number on this layer's stores) and sequence number.
 */
export type SubjectTaskRunnerOptions<S> = Omit<TaskRunnerOptions<S>, 'onStepFinished'> & {
  onStepFinished?(step: string, recorded: { id: number | string; seq: number }): void;
};

/** One recovery sweep at a time: every lease expired by the store's clock goes back to the queue. */
export interface Sweep {
  scanAndRecover(): Promise<Pick<SweepStats, 'expiredFound' | 'recovered' | 'errors' | 'durationMs'>>;
}

/** Where a worker opens the subject: its identity and injected clock (the run folder is in its config). */
export interface WorkerSide {
  workerId: string;
  /** This layer's SQLite file (the subject opens it when it is on SQLite). */
  dbPath: string;
  /** The worker's clock: on SQLite the one that decides whether a lease has expired. */
  clock: Clock;
  durability: Durability;
}

/**
 * How a subject ended some holders' leases (see SubjectHandle.expireLeases): on a server, they are expired for
 * everyone; where each client's clock decides (SQLite), they are still held, until the clock of whoever must see them
 * expired is moved past `until`.
 */
export type LeaseExpiry = { by: 'server'; expired: number } | { by: 'client-clock'; held: number; until: number };

/** One run's subject as the harness holds it, from its preparation to the end of the judging. */
export interface SubjectHandle {
  /**
   * The subject's state read through its own API: what the subject-aware checks judge. `checks` names the checks
   * that will judge it: a subject may leave out what none of them reads (every check when not given).
   */
  read(checks?: ReadonlySet<string>): Promise<FinalState>;
  /** Subjects with `leases`: ends the leases `holders` (worker ids) hold now, as this subject decides expiry. */
  expireLeases?(holders: readonly string[]): Promise<LeaseExpiry>;
  /** Subjects with `sqlite-file`: the file, open in the harness (reopened if a fault closed it). */
  sqliteFile?(): AgentDatabase;
  close(): Promise<void>;
}

/**
 * A system under test, declared in a file of its own (`subjects/<name>.ts`, `export default defineSubject({ … })`) and
 * discovered like a scenario. The harness prepares it once per run, each worker process opens it, the harness reads
 * its final state for the checks, and tears it down. Import heavy clients inside the functions: validating the
 * declarations (every `pnpm chaos` start) imports the file.
 */
export interface SubjectDefinition {
  /** Lower-case letters, digits and dashes: what `--subject` names. */
  name: string;
  /** One line for `--help` and the report. */
  summary: string;
  /** A peer is measured beside this layer: its verdicts are findings about it and never gate the run (default false). */
  peer?: boolean;
  /** What it can do: decides which scenarios and criteria apply (see CAPABILITIES). */
  capabilities: readonly Capability[];
  /** 'postgres': each run gets the server's URL and a fresh schema name in its config (the harness checks the server first). */
  server?: 'postgres';
  /** Creates what a run needs (a schema, a folder, a server) and opens it for the harness: reads its final state. */
  prepare(config: SubjectConfig): Promise<SubjectHandle>;
  /** In a worker process: opens the subject with that worker's identity and clock, exposing the capabilities' APIs. */
  open(config: SubjectConfig, worker: WorkerSide): Promise<SubjectStore>;
  /** After the run was judged: removes what prepare created outside the run folder (a passed run's schema). */
  teardown?(config: SubjectConfig): Promise<void>;
}

/** Returns its argument: exists for type inference in subject files, as defineScenario does for scenarios. */
export function defineSubject(definition: SubjectDefinition): SubjectDefinition {
  return definition;
}

/** Why a subject with `capabilities` cannot run a scenario needing `requires`, or undefined when it can. */
export function missingCapabilities(
  subject: Pick<SubjectDefinition, 'name' | 'capabilities'>,
  requires: readonly Capability[],
): string | undefined {
  const missing = requires.filter((c) => !subject.capabilities.includes(c));
  return missing.length > 0 ? `${subject.name} lacks ${missing.join(', ')}` : undefined;
}

/** A result's key: the test id on the default subject, "<id>@<subject>" on any other (history folders, the matrix). */
export function runKey(id: string, subject: string | undefined): string {
  return subject === undefined || subject === DEFAULT_SUBJECT ? id : `${id}@${subject}`;
}

/** What a subject does, apart from what it declares. */
export type SubjectParts = Pick<SubjectDefinition, 'prepare' | 'open' | 'teardown'>;

/**
 * Parts loaded on first use: `...loadedOnUse(() => import('./my-client.js').then((m) => m.parts))` keeps a subject
 * file cheap to import (validation imports every subject) while its client library loads only in a run that uses it.
 */
export function loadedOnUse(load: () => Promise<SubjectParts>): Required<SubjectParts> {
  let parts: Promise<SubjectParts> | undefined;
  const get = (): Promise<SubjectParts> => (parts ??= load());
  return {
    prepare: async (config) => (await get()).prepare(config),
    open: async (config, worker) => (await get()).open(config, worker),
    teardown: async (config) => await (await get()).teardown?.(config),
  };
}
