import {
  CheckpointManager,
  LLMOutputCache,
  LeaseManager,
  TaskRunner,
  ToolLedger,
  type AgentDatabase,
} from '../../src/index.js';
import { WORKER_TOOL_ENV } from '../workers/marker.js';
import type { FinalState, LeaseLogEntry, SubjectDriver } from './subject.js';

/** This layer on the run's SQLite file: the harness and every worker already have it open. */
export const agentosSqlite: SubjectDriver = {
  async prepare() {
    // The run's database is opened (and migrated) by the harness itself.
  },

  async open(_config, { db, runDir }) {
    const cm = new CheckpointManager(db);
    return {
      async commit(taskId, step, state) {
        const c = await cm.commit(cm.begin(taskId, step, state));
        return { id: c.id, seq: c.seq };
      },
      async holdWriteLock(holdMs, onHeld) {
        const sleeper = new Int32Array(new SharedArrayBuffer(4));
        db.writeTransaction(() => {
          onHeld();
          // Holding the lock for a fixed time is the fault itself, not a synchronisation wait.
          Atomics.wait(sleeper, 0, 0, holdMs);
        });
      },
      leases: (options) => ({
        leases: new LeaseManager(db, options),
        checkpoints: new CheckpointManager(db, { baseDir: runDir }),
      }),
      tools: new ToolLedger(db, { inheritEnv: WORKER_TOOL_ENV }),
      cache: new LLMOutputCache(db),
      runner: (definition, options, baseDir) =>
        new TaskRunner(db, new CheckpointManager(db, { baseDir }), definition, options),
      async close() {
        // The worker closes its database itself.
      },
    };
  },

  async read(_config, { db }) {
    return readLayerState(db);
  },

  async drop() {
    // The run folder, with the file, is removed by the harness.
  },
};

/** The layer's final state from its SQLite file: what the checks judge on this subject. */
export function readLayerState(db: AgentDatabase): FinalState {
  const rows = db.sqlite
    .prepare(
      "SELECT id, task_id, seq, step, json_extract(state, '$.token') AS token FROM checkpoints ORDER BY task_id, seq",
    )
    .all() as { id: number; task_id: string; seq: number; step: string; token: string | null }[];
  // The adapter's "latest" read (SqliteCheckpointStore.last), synchronously: a check may read the state at any time.
  const last = db.sqlite.prepare('SELECT seq FROM checkpoints WHERE task_id = ? ORDER BY seq DESC LIMIT 1').pluck();
  const latest: Record<string, number> = {};
  for (const task of new Set(rows.map((r) => r.task_id))) latest[task] = (last.get(task) as number | undefined) ?? 0;
  return {
    checkpoints: rows.map((r) => ({
      id: String(r.id),
      taskId: r.task_id,
      seq: r.seq,
      step: r.step,
      ...(r.token !== null ? { token: r.token } : {}),
    })),
    latest,
    tasks: Object.fromEntries(
      (db.sqlite.prepare('SELECT id, status FROM tasks').all() as { id: string; status: string }[]).map((r) => [
        r.id,
        r.status,
      ]),
    ),
    integrity: db.integrityCheck(),
    leases: {
      log: db.sqlite
        .prepare('SELECT seq, item_id, epoch, holder, op FROM lease_log ORDER BY seq')
        .all() as LeaseLogEntry[],
      fencedCheckpoints: db.sqlite
        .prepare(
          'SELECT lease_item AS item, lease_epoch AS epoch, COUNT(*) AS n FROM checkpoints WHERE lease_item IS NOT NULL GROUP BY 1, 2',
        )
        .all() as { item: string; epoch: number; n: number }[],
      itemsByStatus: Object.fromEntries(
        (
          db.sqlite.prepare('SELECT status, COUNT(*) AS n FROM work_items GROUP BY status').all() as {
            status: string;
            n: number;
          }[]
        ).map((r) => [r.status, r.n]),
      ),
    },
  };
}
