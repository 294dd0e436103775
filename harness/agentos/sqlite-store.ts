import { join } from 'node:path';
import { openDatabase, type AgentDatabase } from '../../src/index.js';
import { layerFinalState, statePartsFor, type AgentosBackend, type LayerStateRows } from './backend.js';
import { LAYER_FILE, type FinalState } from '../subject.js';

/** This layer on the run's SQLite file, opened by each worker with its own (skewable) clock. */
export const backend: AgentosBackend = {
  async prepare({ runDir }) {
    const path = join(runDir, LAYER_FILE);
    let db = judgingConnection(path);
    // A power loss closes the harness's connection first (see faults/power-loss.ts): the next use reopens the file.
    const file = (): AgentDatabase => (db.sqlite.open ? db : (db = judgingConnection(path)));
    return {
      read: async (checks) => readSqliteState(file(), checks),
      async expireLeases(holders) {
        const { held, until } = file()
          .sqlite.prepare(
            `SELECT COUNT(*) AS held, MAX(lease_expires_at) AS until FROM work_items
             WHERE status = 'leased' AND lease_holder IN (SELECT value FROM json_each(?))`,
          )
          .get(JSON.stringify(holders)) as { held: number; until: number | null };
        // Each process's clock decides here: the leases end for whoever's clock is moved past the latest expiry.
        return { by: 'client-clock', held, until: until ?? 0 };
      },
      sqliteFile: file,
      async close() {
        if (db.sqlite.open) db.close();
      },
    };
  },

  async open(_config, { dbPath, clock, durability }) {
    const db = openDatabase(dbPath, { clock, durability });
    return {
      db,
      async holdWriteLock(holdMs, onHeld) {
        const sleeper = new Int32Array(new SharedArrayBuffer(4));
        db.writeTransaction(() => {
          onHeld();
          // Holding the lock for a fixed time is the fault itself, not a synchronisation wait.
          Atomics.wait(sleeper, 0, 0, holdMs);
        });
      },
      async close() {
        db.close();
      },
    };
  },

  async teardown() {
    // The run folder, with the file, is removed by the harness.
  },
};

/**
 * The harness's own connection to the run's file, which reads the final state and checks its integrity: without the
 * layer's 64 MB page cache and 256 MB memory map, which held the pages of a 100,000-item file in the harness process.
 */
function judgingConnection(path: string): AgentDatabase {
  const db = openDatabase(path);
  db.sqlite.pragma('cache_size = -2000');
  db.sqlite.pragma('mmap_size = 0');
  return db;
}

/** The layer's final state from its SQLite file: what the checks judge on this subject. */
export function readSqliteState(db: AgentDatabase, checks?: ReadonlySet<string>): FinalState {
  const all = <R>(sql: string): R[] => db.sqlite.prepare(sql).all() as R[];
  const parts = statePartsFor(checks);
  const checkpoints = parts.checkpoints
    ? all<LayerStateRows['checkpoints'][number]>(
        "SELECT id, task_id, seq, step, json_extract(state, '$.token') AS token FROM checkpoints ORDER BY task_id, seq",
      )
    : [];
  // The adapter's "latest" read (SqliteCheckpointStore.last), synchronously: a check may read the state at any time.
  const last = db.sqlite.prepare('SELECT seq FROM checkpoints WHERE task_id = ? ORDER BY seq DESC LIMIT 1').pluck();
  const latest: Record<string, number> = {};
  for (const task of new Set(checkpoints.map((r) => r.task_id)))
    latest[task] = (last.get(task) as number | undefined) ?? 0;
  return layerFinalState({
    checkpoints,
    latest,
    tasks: all('SELECT id, status FROM tasks'),
    integrity: db.integrityCheck(),
    log: parts.log ? all('SELECT seq, item_id, epoch, holder, op FROM lease_log ORDER BY seq') : [],
    fencedCheckpoints: parts.log
      ? all(
          'SELECT lease_item AS item, lease_epoch AS epoch, COUNT(*) AS n FROM checkpoints WHERE lease_item IS NOT NULL GROUP BY 1, 2',
        )
      : [],
    itemsByStatus: all('SELECT status, COUNT(*) AS n FROM work_items GROUP BY status'),
  });
}
