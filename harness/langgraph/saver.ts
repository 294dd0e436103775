import { emptyCheckpoint, uuid6, type BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type { StoredCheckpoint, SubjectStore } from '../subject.js';

/**
 * Commits through a LangGraph saver's put(), as a graph's loop does after each step: a new checkpoint whose parent is
 * the one this writer put last on the thread (the task id), carrying the state in a channel and the operation's token
 * in its metadata.
 */
export function saverCommit(saver: BaseCheckpointSaver): SubjectStore['commit'] {
  const parents = new Map<string, string>();
  let version = 0;
  return async (taskId, _step, state) => {
    const parent = parents.get(taskId);
    const checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(-1),
      channel_values: { state },
      channel_versions: { state: ++version },
    };
    // LangGraph keeps keys of its own in the metadata; the token rides along as one more.
    const metadata = { source: 'loop' as const, step: version, parents: {}, token: state.token };
    await saver.put(
      { configurable: { thread_id: taskId, checkpoint_ns: '', ...(parent ? { checkpoint_id: parent } : {}) } },
      checkpoint,
      metadata,
      { state: version },
    );
    parents.set(taskId, checkpoint.id);
    return { id: checkpoint.id };
  };
}

/** Every checkpoint the saver lists (all threads), with the token its metadata carries. */
export async function savedCheckpoints(saver: BaseCheckpointSaver): Promise<StoredCheckpoint[]> {
  const stored: StoredCheckpoint[] = [];
  for await (const tuple of saver.list({ configurable: {} })) {
    const token = (tuple.metadata as { token?: unknown } | undefined)?.token;
    stored.push({
      id: tuple.checkpoint.id,
      taskId: String(tuple.config.configurable?.thread_id),
      ...(typeof token === 'string' ? { token } : {}),
    });
  }
  return stored;
}
