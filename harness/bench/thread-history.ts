import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { BENCH_STATE } from './saver-put.js';

/** The thread every thread-growth variant fills and reads. */
export const GROWTH_THREAD = { thread_id: 'bench-thread', checkpoint_ns: '' };

/**
 * The history's checkpoint ids and channel versions, the same text in SQL and here: uuid-shaped ids that sort in step
 * order and below the uuid6 ids of later puts (which start with the time), and zero-padded versions.
 */
export const historyId = (step: number): string => `00000000-0000-6000-8000-${String(step).padStart(12, '0')}`;
export const historyVersion = (step: number): string => String(step).padStart(9, '0');
/** SQLite's and PostgreSQL's spelling of historyId and historyVersion for a step column `n`. */
export const SQLITE_ID = (n: string): string => `printf('00000000-0000-6000-8000-%012d', ${n})`;
export const SQLITE_VERSION = (n: string): string => `printf('%09d', ${n})`;
export const PG_ID = (n: string): string => `'00000000-0000-6000-8000-' || lpad((${n})::text, 12, '0')`;
export const PG_VERSION = (n: string): string => `lpad((${n})::text, 9, '0')`;

/**
 * Step 0 of the history, written through the saver's own put: the row its later copies are made from (see
 * thread-growth.ts). Its one channel, "state", holds the benchmarks' state and changed at this step.
 */
export async function putFirstStep(saver: BaseCheckpointSaver): Promise<void> {
  const { emptyCheckpoint } = await import('@langchain/langgraph-checkpoint');
  const version = historyVersion(0);
  const checkpoint = {
    ...emptyCheckpoint(),
    id: historyId(0),
    channel_values: { state: { ...BENCH_STATE, i: 0 } },
    channel_versions: { state: version },
  };
  await saver.put(
    { configurable: GROWTH_THREAD },
    checkpoint,
    { source: 'loop', step: 0, parents: {} },
    {
      state: version,
    },
  );
}
