import type {
  AgentDatabase,
  CheckpointManager,
  LLMOutputCache,
  LeaseManager,
  TaskDefinition,
  TaskRunResult,
  TaskRunnerOptions,
  ToolLedger,
} from '../../src/index.js';

/**
 * What a subject can do, and so which scenarios and criteria apply to it:
 * - `checkpoints`: commit checkpoints to a task and read back what is stored (every subject);
 * - `sequence`: per-task sequence numbers 1, 2, 3, … and a "latest" read by them (this layer's backends);
 * - `integrity`: a storage-level consistency check (PRAGMA integrity_check, amcheck on PostgreSQL);
 * - `leases`: this layer's fenced leases and its lease log (acquire, renew, complete, writes under a lease);
 * - `tools`: this layer's tool ledger (calls recorded, replayed, fenced by leases): the checks that count side effects;
 * - `tasks`: this layer's task runner (one owner per task, resume after the last checkpoint) and task statuses;
 * - `cache`: this layer's LLM output cache;
 * - `server`: a database server the harness can crash, restart and cut connections to (the postgres subjects);
 * - `sqlite-layer`: the whole layer on its SQLite file (leases, tool ledger, task runner, …): the checks that read
 *   that file, and the scenarios that declare no `requires`.
 */
export const CAPABILITIES = [
  'checkpoints',
  'sequence',
  'integrity',
  'leases',
  'tools',
  'tasks',
  'cache',
  'server',
  'sqlite-layer',
] as const;
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
    capabilities: ['checkpoints', 'sequence', 'integrity', 'leases', 'tools', 'tasks', 'cache', 'sqlite-layer'],
    summary: 'this layer on its embedded SQLite file (the default)',
  },
  'agentos-postgres': {
    peer: false,
    postgres: true,
    capabilities: ['checkpoints', 'sequence', 'integrity', 'leases', 'tools', 'tasks', 'cache', 'server'],
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
  };
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
  close(): Promise<void>;
}

/** One subject's code on both sides: the harness prepares, reads and drops; a worker opens a store. */
export interface SubjectDriver {
  prepare(config: SubjectConfig, runDir: string): Promise<void>;
  open(config: SubjectConfig, context: { db: AgentDatabase; runDir: string; workerId: string }): Promise<SubjectStore>;
  read(config: SubjectConfig, context: { db: AgentDatabase; runDir: string }): Promise<FinalState>;
  drop(config: SubjectConfig): Promise<void>;
}

/** Each driver is loaded on demand: a run on SQLite loads neither pg nor LangGraph. */
export const DRIVERS: Readonly<Record<SubjectName, () => Promise<SubjectDriver>>> = {
  'agentos-sqlite': async () => (await import('./agentos-sqlite.js')).agentosSqlite,
  'agentos-postgres': async () => (await import('./agentos-postgres.js')).agentosPostgres,
  'langgraph-sqlite': async () => (await import('./langgraph-sqlite.js')).langgraphSqlite,
  'langgraph-postgres': async () => (await import('./langgraph-postgres.js')).langgraphPostgres,
};

/** Why `subject` cannot run a scenario needing `requires`, or undefined when it can. */
export function missingCapabilities(subject: SubjectName, requires: readonly Capability[]): string | undefined {
  const missing = requires.filter((c) => !SUBJECTS[subject].capabilities.includes(c));
  return missing.length > 0 ? `${subject} lacks ${missing.join(', ')}` : undefined;
}

/** A result's key: the test id on the default subject, "<id>@<subject>" on any other (history folders, the matrix). */
export function runKey(id: string, subject: SubjectName | undefined): string {
  return subject === undefined || subject === DEFAULT_SUBJECT ? id : `${id}@${subject}`;
}
