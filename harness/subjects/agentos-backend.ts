import type { AgentStore } from '../../src/store.js';
import type { SubjectConfig, SubjectHandle, WorkerSide } from './subject.js';

/**
 * This layer on one store: how the run's store is created, opened in the harness and in a worker, and dropped. The
 * services themselves (checkpoints, leases, cache, task runner) are built once over the store, in agentos.ts.
 */
export interface AgentosBackend {
  /** Creates the run's store (its file or schema, migrated) and opens it for the harness. */
  prepare(config: SubjectConfig, runDir: string): Promise<SubjectHandle>;
  open(config: SubjectConfig, worker: WorkerSide): Promise<WorkerStore>;
  drop(config: SubjectConfig): Promise<void>;
}

/** The store a worker opened, with what is not (yet) written once over the store interface. */
export interface WorkerStore {
  db: AgentStore;
  holdWriteLock(holdMs: number, onHeld: () => void): Promise<void>;
  close(): Promise<void>;
}
