import type { AgentStore } from '../../src/store.js';
import type { FinalState, LeaseLogEntry, SubjectConfig, SubjectHandle, WorkerSide } from '../subject.js';

/**
 * This layer on one store: how the run's store is created, opened in the harness and in a worker, and dropped. The
 * services themselves (checkpoints, leases, cache, task runner) are built once over the store, in driver.ts.
 */
export interface AgentosBackend {
  /** Creates the run's store (its file or schema, migrated) and opens it for the harness. */
  prepare(config: SubjectConfig): Promise<SubjectHandle>;
  open(config: SubjectConfig, worker: WorkerSide): Promise<WorkerStore>;
  teardown(config: SubjectConfig): Promise<void>;
}

/** The store a worker opened, with what is not (yet) written once over the store interface. */
export interface WorkerStore {
  db: AgentStore;
  holdWriteLock(holdMs: number, onHeld: () => void): Promise<void>;
  close(): Promise<void>;
}

/** What either store's final-state read fetches, a query each: the same rows on SQLite and PostgreSQL. */
export interface LayerStateRows {
  checkpoints: { id: number; task_id: string; seq: number; step: string; token: string | null }[];
  /** Per task, the sequence number the store's "latest" read returns. */
  latest: Record<string, number>;
  tasks: { id: string; status: string }[];
  integrity: string[];
  log: LeaseLogEntry[];
  fencedCheckpoints: { item: string; epoch: number; n: number }[];
  itemsByStatus: { status: string; n: number }[];
}

/** The checks that read every checkpoint row, and the one that reads the whole lease log. */
const CHECKPOINT_READERS = [
  'acknowledged-checkpoints-present',
  'operations-durable',
  'last-checkpoint-is-latest-acknowledged',
  'sequence-gap-free',
  'committed-steps-not-rerun',
];
const LEASE_LOG_READERS = ['no-stale-epoch-writes'];

/**
 * Which of the final state's long lists the run's checks read. A stress run leaves 100,000s of checkpoints and lease
 * log rows; read as objects into the harness (when only counts were judged) they took 130 MB of its memory.
 */
export function statePartsFor(checks: ReadonlySet<string> | undefined): { checkpoints: boolean; log: boolean } {
  const any = (names: string[]): boolean => checks === undefined || names.some((name) => checks.has(name));
  return { checkpoints: any(CHECKPOINT_READERS), log: any(LEASE_LOG_READERS) };
}

/** The layer's final state, as the checks judge it, from the rows its store returned. */
export function layerFinalState(rows: LayerStateRows): FinalState {
  return {
    checkpoints: rows.checkpoints.map((r) => ({
      id: String(r.id),
      taskId: r.task_id,
      seq: r.seq,
      step: r.step,
      ...(r.token !== null ? { token: r.token } : {}),
    })),
    latest: rows.latest,
    tasks: Object.fromEntries(rows.tasks.map((r) => [r.id, r.status])),
    integrity: rows.integrity,
    leases: {
      log: rows.log,
      fencedCheckpoints: rows.fencedCheckpoints,
      itemsByStatus: Object.fromEntries(rows.itemsByStatus.map((r) => [r.status, r.n])),
    },
  };
}
