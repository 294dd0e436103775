import type { SaverCheckpoint } from '../store.js';

/**
 * The checkpoints a SELECT of (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,
 * channel_versions, metadata) finds, with their values and writes, in one statement: one snapshot and one read lock
 * (in WAL mode most of a small read's cost is taking that lock). Raw rows [part, thread, namespace, checkpoint id, …]:
 * first every checkpoint (part 0) in the SELECT's order, then their values (part 1: channel, type, value), then their
 * writes (part 2: task id, channel, type, value) in LangGraph's order (BINARY collation orders UTF-8 by code point, as
 * its writesSortKey asks). Each value is one primary-key lookup, versions matched as the text they were stored as:
 * CROSS JOIN keeps the versions the outer loop, as joined the other way every value the thread ever stored is read.
 */
export function withContents(select: string): string {
  return `WITH c AS MATERIALIZED (${select})
  SELECT 0, thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, channel_versions, metadata
  FROM c
  UNION ALL
  SELECT 1, c.thread_id, c.checkpoint_ns, c.checkpoint_id, b.channel, b.type, b.value, NULL, NULL
  FROM c, json_each(c.channel_versions) AS k CROSS JOIN langgraph_blobs AS b
  ON b.thread_id = c.thread_id AND b.checkpoint_ns = c.checkpoint_ns AND b.channel = k.key AND b.version = k.value
  UNION ALL
  SELECT * FROM (
    SELECT 2, c.thread_id, c.checkpoint_ns, c.checkpoint_id, w.task_id, w.channel, w.type, w.value, NULL
    FROM c CROSS JOIN langgraph_writes AS w
    ON w.thread_id = c.thread_id AND w.checkpoint_ns = c.checkpoint_ns AND w.checkpoint_id = c.checkpoint_id
    ORDER BY w.task_path, w.task_id, w.idx)`;
}

/** A raw row of withContents. */
export type ContentsRow = (string | number | Buffer | null)[];

/** The checkpoints of withContents' raw rows, in the SELECT's order, each with its values (by channel) and writes. */
export function checkpointsOf(rows: ContentsRow[]): SaverCheckpoint[] {
  const checkpoints: SaverCheckpoint[] = [];
  const byKey = new Map<string, SaverCheckpoint>();
  for (const [part, thread, ns, id, a, b, c, d, e] of rows) {
    const key = JSON.stringify([thread, ns, id]);
    if (part === 0) {
      const checkpoint: SaverCheckpoint = {
        thread_id: thread as string,
        checkpoint_ns: ns as string,
        checkpoint_id: id as string,
        parent_checkpoint_id: a as string | null,
        type: b as string,
        checkpoint: c as Buffer,
        channel_versions: d as string,
        metadata: e as string,
        blobs: [],
        writes: [],
      };
      checkpoints.push(checkpoint);
      byKey.set(key, checkpoint);
    } else if (part === 1) {
      byKey.get(key)?.blobs.push({ channel: a as string, type: b as string, value: c as Buffer | null });
    } else {
      byKey
        .get(key)
        ?.writes.push({ task_id: a as string, channel: b as string, type: c as string, value: d as Buffer });
    }
  }
  for (const checkpoint of checkpoints) checkpoint.blobs.sort((x, y) => (x.channel < y.channel ? -1 : 1));
  return checkpoints;
}
