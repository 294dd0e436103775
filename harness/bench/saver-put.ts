import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';

/** The agent state every checkpoint benchmark stores, whatever the backend: variants compare like with like. */
export const BENCH_STATE = { step: 'plan', notes: 'a typical small agent state', tokens: 512, files: ['a.ts', 'b.ts'] };

/**
 * A benchmark's put() through a LangGraph saver: each call stores a new checkpoint of one thread whose only channel,
 * "state", changed (so a saver that stores channel values apart stores one), as a graph's loop does after a step.
 */
export async function saverPutter(saver: BaseCheckpointSaver, state: object): Promise<() => Promise<unknown>> {
  const { emptyCheckpoint, uuid6 } = await import('@langchain/langgraph-checkpoint');
  const config = { configurable: { thread_id: 'bench-thread', checkpoint_ns: '' } };
  let i = 0;
  return () => {
    const version = ++i;
    const checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(-1),
      channel_values: { state: { ...state, i } },
      channel_versions: { state: version },
    };
    return saver.put(config, checkpoint, { source: 'loop', step: i, parents: {} }, { state: version });
  };
}
