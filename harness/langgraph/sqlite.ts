import { join } from 'node:path';
import Database from 'better-sqlite3';
import { savedCheckpoints, saverCommit } from './saver.js';
import type { SubjectParts } from '../subject.js';

const FILE = 'langgraph.db';

async function saverAt(runDir: string) {
  const { SqliteSaver } = await import('@langchain/langgraph-checkpoint-sqlite');
  return SqliteSaver.fromConnString(join(runDir, FILE));
}

/** LangGraph's SqliteSaver with its own defaults, on a file in the run folder. */
export const langgraphSqlite: SubjectParts = {
  async prepare({ runDir }) {
    // The saver creates its tables on first use.
    return {
      async read() {
        const saver = await saverAt(runDir);
        try {
          const checkpoints = await savedCheckpoints(saver);
          const integrity = (saver.db.pragma('integrity_check') as Record<string, unknown>[]).map((r) =>
            String(Object.values(r)[0]),
          );
          return { checkpoints, latest: {}, integrity };
        } finally {
          saver.db.close();
        }
      },
      async close() {
        // Each read opens and closes its own connection.
      },
    };
  },

  async open({ runDir }) {
    const saver = await saverAt(runDir);
    return {
      commit: saverCommit(saver),
      async holdWriteLock(holdMs, onHeld) {
        const file = new Database(join(runDir, FILE), { timeout: 60_000 });
        const sleeper = new Int32Array(new SharedArrayBuffer(4));
        file.exec('BEGIN IMMEDIATE');
        onHeld();
        // Holding the lock for a fixed time is the fault itself, not a synchronisation wait.
        Atomics.wait(sleeper, 0, 0, holdMs);
        file.exec('COMMIT');
        file.close();
      },
      async close() {
        saver.db.close();
      },
    };
  },

  async teardown() {
    // The file goes with the run folder.
  },
};
