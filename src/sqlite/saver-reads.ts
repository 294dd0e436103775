import type Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import type { SaverBlobRow, SaverCheckpoint, SaverCheckpointRow, SaverWriteRow } from '../store.js';

/**
 * Reads checkpoints with their values and writes: the checkpoint rows first, then each value by its primary key
 * (thread, namespace, channel, version as the text it was stored as) and each checkpoint's writes by its key prefix,
 * all in one read transaction (one snapshot). Statements driven from here cost less than one statement joining the
 * versions' JSON (json_each) to the values: 2–3× less for a checkpoint, measured in docs/measurements.md.
 */
export class SaverContents {
  readonly #value: Statement;
  readonly #writes: Statement;
  readonly #inSnapshot: (read: () => SaverCheckpointRow[]) => SaverCheckpoint[];

  constructor(sqlite: Database.Database) {
    this.#value = sqlite
      .prepare(
        `SELECT type, value FROM langgraph_blobs
        WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?`,
      )
      .raw();
    // BINARY collation orders UTF-8 by code point, as LangGraph's writesSortKey asks.
    this.#writes = sqlite.prepare(`
      SELECT task_id, channel, type, value FROM langgraph_writes
      WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? ORDER BY task_path, task_id, idx`);
    const inSnapshot = sqlite.transaction((read: () => SaverCheckpointRow[]) => read().map((row) => this.#with(row)));
    this.#inSnapshot = (read) => inSnapshot.deferred(read);
  }

  /** The checkpoints `read` returns (in its order), each with its values (in channel order) and writes. */
  read(read: () => SaverCheckpointRow[]): SaverCheckpoint[] {
    return this.#inSnapshot(read);
  }

  #with(row: SaverCheckpointRow): SaverCheckpoint {
    const { thread_id: thread, checkpoint_ns: ns } = row;
    const versions = JSON.parse(row.channel_versions) as Record<string, unknown>;
    const blobs: SaverBlobRow[] = [];
    for (const channel of Object.keys(versions).sort()) {
      const found = this.#value.get(thread, ns, channel, String(versions[channel])) as
        | [string, Buffer | null]
        | undefined;
      if (found) blobs.push({ channel, type: found[0], value: found[1] });
    }
    const writes = this.#writes.all(thread, ns, row.checkpoint_id) as SaverWriteRow[];
    return { ...row, blobs, writes };
  }
}
