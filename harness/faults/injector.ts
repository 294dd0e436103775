import type { AgentDatabase } from '../../src/index.js';
import type { History } from '../history.js';
import type { Fault } from '../schema.js';
import type { Capability, SubjectHandle, WorkerSubjectConfig } from '../subject.js';
import type { EventKind, HistoryEntry } from '../workers/protocol.js';
import type { WorkerProcess } from '../workers/supervisor.js';

/** What an injector may touch: the target workers, the subject, the history and the seeded generator. */
export interface FaultRuntime {
  /** Live workers of a group (or the one worker with that id). */
  workers(target: string): WorkerProcess[];
  /** Starts a helper process that is not a declared worker (e.g. the lock holder). */
  spawnHelper(workload: string, params: Record<string, unknown>): WorkerProcess;
  /** The run's subject as the harness holds it (its store, its SQLite file if it has one). */
  handle: SubjectHandle;
  /** The scenario's run folder. */
  runDir: string;
  history: History;
  /** The next event of `kind` from `worker` (an id), once it comes. */
  next(kind: EventKind, worker: string): Promise<HistoryEntry>;
  random(): number;
  /** The run's subject: which server and schema a PostgreSQL fault acts on. */
  subject: WorkerSubjectConfig;
  /** Records that the fault took effect on `affected` things (0 means it did nothing). */
  injected(detail: string, affected: number): void;
  healed(detail: string): void;
}

/** What a fault's set-up may use: the run folder, and a way to point the subject at a server it started. */
export interface SetupContext {
  runDir: string;
  /** The run's subject (a fault may point it at a server it started with usePgServer). */
  subject: WorkerSubjectConfig;
  usePgServer(url: string): void;
}

/** Did the fault really take effect? A scenario whose fault never fired proves nothing and fails. */
export interface FiredVerdict {
  fired: boolean;
  detail: string;
}

/** A fault kind, Jepsen-nemesis style: inject on its trigger, heal on its own trigger or at teardown. */
export interface Injector<F extends Fault> {
  /** What the subject must have for this fault to mean anything (a power loss strikes this layer's SQLite file). */
  needs?: Capability;
  /** Before anything starts: e.g. mount a file system over the (still empty) run folder. Returns its teardown, run after the checks. */
  setup?(fault: F, context: SetupContext): Promise<(() => Promise<void>) | undefined>;
  /** Why this fault cannot run here (e.g. "no FUSE: /dev/fuse is missing"), or null: the scenario is then reported not applicable, never passed. */
  unavailable?(fault: F): string | null;
  /** Variables for the environment of a worker about to start (e.g. an armed crash point), or undefined. */
  workerEnv?(
    fault: F,
    worker: { id: string; group: string },
    subject: WorkerSubjectConfig,
  ): Record<string, string> | undefined;
  /** A fault that acts asynchronously returns its promise: the run does not end while one is in flight. */
  inject(fault: F, runtime: FaultRuntime): void | Promise<void>;
  /** Undo the fault (resume paused processes, …). Called on the heal trigger and again at teardown; must be idempotent. */
  heal?(fault: F, runtime: FaultRuntime): void;
  /** Awaited at teardown, before judging: e.g. a crashed server's restart, so its state can be read. */
  settle?(fault: F): Promise<void>;
  fired(fault: F, history: History, index: number): FiredVerdict;
}

/** The subject's SQLite file, for a fault that needs `sqlite-file` (the runner never injects it elsewhere). */
export function sqliteFile(rt: FaultRuntime): AgentDatabase {
  const file = rt.handle.sqliteFile?.();
  if (!file) throw new Error(`the subject ${rt.subject.name} has no SQLite file of this layer`);
  return file;
}
