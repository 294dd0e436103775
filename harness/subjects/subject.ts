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
} from '../../src/index.js';
import type { AgentosSaver } from '../../src/langgraph/index.js';
import type { AgentosBackend } from './agentos-backend.js';

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
 * - `tools`: this layer's tool ledger (calls recorded, replayed, fenced by leases): the checks that count side effects;
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

export const SUBJECT_NAMES = ['agentos-sqlite', 'agentos-postgres', 'langgraph-sqlite', 'langgraph-postgres'] as const;
export type SubjectName = (typeof SUBJECT_NAMES)[number];
export const DEFAULT_SUBJECT: SubjectName = 'agentos-sqlite';

export interface SubjectInfo {
  /** A peer is measured beside this layer: its verdicts are reported, never gate the run. */
  peer: boolean;
  postgres: boolean;
  capabilities: readonly Capability[];
  summary: string;
}

export const SUBJECTS: Readonly<Record<SubjectName, SubjectInfo>> = {
  'agentos-sqlite': {
    peer: false,
    postgres: false,
    capabilities: [...LAYER_CAPABILITIES, 'sweep', 'langgraph', 'sqlite-file'],
    summary: 'this layer on its embedded SQLite file (the default)',
  },
  'agentos-postgres': {
    peer: false,
    postgres: true,
    capabilities: [...LAYER_CAPABILITIES, 'sweep', 'langgraph', 'server'],
    summary: 'this layer on PostgreSQL, a fresh schema per run',
  },
  'langgraph-sqlite': {
    peer: true,
    postgres: false,
    capabilities: ['checkpoints', 'integrity'],
    summary: "LangGraph's SqliteSaver on a file in the run folder",
  },
  'langgraph-postgres': {
    peer: true,
    postgres: true,
    capabilities: ['checkpoints', 'integrity', 'server'],
    summary: "LangGraph's PostgresSaver, a fresh schema per run",
  },
};

/** Where one run's subject keeps its data; passed to every worker of the run. */
export interface SubjectConfig {
  name: SubjectName;
  /** PostgreSQL subjects: the server (undefined: the PG* variables) and the run's own schema. */
  pgUrl?: string;
  schema?: string;
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
    options: TaskRunnerOptions<S>,
    baseDir: string,
  ) => { run(taskId: string): Promise<TaskRunResult<S>> };
  /** Subjects with `langgraph`: AgentosSaver on this worker's store. */
  saver?: (options: { workerId: string; baseDir: string }) => Promise<AgentosSaver>;
  close(): Promise<void>;
}

/** One recovery sweep at a time: every lease expired by the store's clock goes back to the queue. */
export interface Sweep {
  scanAndRecover(): Promise<Pick<SweepStats, 'expiredFound' | 'recovered' | 'errors' | 'durationMs'>>;
}

/** Where a worker opens the subject: its run folder, identity and injected clock. */
export interface WorkerSide {
  runDir: string;
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
  /** The subject's state read through its own API: what the subject-aware checks judge. */
  read(): Promise<FinalState>;
  /** Subjects with `leases`: ends the leases `holders` (worker ids) hold now, as this subject decides expiry. */
  expireLeases?(holders: readonly string[]): Promise<LeaseExpiry>;
  /** Subjects with `sqlite-file`: the file, open in the harness (reopened if a fault closed it). */
  sqliteFile?(): AgentDatabase;
  close(): Promise<void>;
}

/** One subject's code on both sides: the harness prepares, holds and drops it; a worker opens a store. */
export interface SubjectDriver {
  /** Creates what the run needs (a schema, migrated tables) and opens it for the harness. */
  prepare(config: SubjectConfig, runDir: string): Promise<SubjectHandle>;
  open(config: SubjectConfig, worker: WorkerSide): Promise<SubjectStore>;
  drop(config: SubjectConfig): Promise<void>;
}

/** Each driver is loaded on demand: a run on SQLite loads neither pg nor LangGraph. */
export const DRIVERS: Readonly<Record<SubjectName, () => Promise<SubjectDriver>>> = {
  'agentos-sqlite': async () => agentos(await import('./agentos-sqlite-store.js')),
  'agentos-postgres': async () => agentos(await import('./agentos-pg-store.js')),
  'langgraph-sqlite': async () => (await import('./langgraph-sqlite.js')).langgraphSqlite,
  'langgraph-postgres': async () => (await import('./langgraph-postgres.js')).langgraphPostgres,
};

/** This layer's one driver, over the store the backend module opens. */
async function agentos(module: { backend: AgentosBackend }): Promise<SubjectDriver> {
  return (await import('./agentos.js')).agentosDriver(module.backend);
}

/** Why `subject` cannot run a scenario needing `requires`, or undefined when it can. */
export function missingCapabilities(subject: SubjectName, requires: readonly Capability[]): string | undefined {
  const missing = requires.filter((c) => !SUBJECTS[subject].capabilities.includes(c));
  return missing.length > 0 ? `${subject} lacks ${missing.join(', ')}` : undefined;
}

/** A result's key: the test id on the default subject, "<id>@<subject>" on any other (history folders, the matrix). */
export function runKey(id: string, subject: SubjectName | undefined): string {
  return subject === undefined || subject === DEFAULT_SUBJECT ? id : `${id}@${subject}`;
}
