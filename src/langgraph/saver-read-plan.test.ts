import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { expect, it } from 'vitest';
import { pgRowsRead, sqliteThreadWalks, statementsRunBy } from '../../test/helpers/read-plans.js';
import { describeEachStore, type StoreUnderTest } from '../../test/helpers/stores.js';
import type { AgentDatabase } from '../index.js';
import type { PgDatabase } from '../pg/index.js';
import { AgentosSaver } from './index.js';

/** Checkpoints in the thread: enough that a statement reading the whole thread reads hundreds of rows. */
const CHECKPOINTS = 300;
/** The most rows of one table a statement may read here: the 20 values of the 10 checkpoints list returns. */
const MOST_ROWS = 20;

const thread = { thread_id: 't', checkpoint_ns: '' };

/** A thread of CHECKPOINTS checkpoints, each a child of the one before, changing "state" and writing once. */
async function longThread(saver: AgentosSaver): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= CHECKPOINTS; i++) {
    const parent = ids.at(-1);
    const values = i === 1 ? { settings: { model: 'm' }, state: { i } } : { state: { i } };
    const changed = i === 1 ? { settings: 1, state: 1 } : { state: i };
    const versions = { settings: 1, state: i };
    const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: values, channel_versions: versions };
    const config: RunnableConfig = { configurable: { ...thread, ...(parent ? { checkpoint_id: parent } : {}) } };
    const saved = await saver.put(config, checkpoint, { source: 'loop', step: i, parents: {} }, changed);
    await saver.putWrites(saved, [['state', { i: i + 1 }]], `task-${i}`);
    ids.push(checkpoint.id);
  }
  return ids;
}

/** What each statement the action runs reads beyond what it returns: SQLite's plan lines, PostgreSQL's row counts. */
async function excessReads(store: StoreUnderTest, action: () => Promise<unknown>): Promise<string[]> {
  const statements = await statementsRunBy(store.db, action);
  expect(statements.length).toBeGreaterThan(0);
  const excess: string[] = [];
  for (const statement of statements) {
    const sql = statement.sql.replace(/\s+/g, ' ').trim();
    if (store.backend === 'sqlite') {
      for (const line of sqliteThreadWalks((store.db as AgentDatabase).sqlite, statement))
        excess.push(`${line} in: ${sql}`);
    } else {
      for (const [table, rows] of Object.entries(await pgRowsRead(store.db as PgDatabase, statement)))
        if (rows > MOST_ROWS) excess.push(`${rows} rows of ${table} in: ${sql}`);
    }
  }
  return excess;
}

describeEachStore('AgentosSaver on a long thread', (open) => {
  it('reads a checkpoint by id or the latest, and lists 10, reading only the rows it returns', async () => {
    const store = await open();
    const saver = new AgentosSaver(store.db);
    const ids = await longThread(saver);
    const middle = ids[CHECKPOINTS / 2];

    const byId = await excessReads(store, () => saver.getTuple({ configurable: { ...thread, checkpoint_id: middle } }));
    const latest = await excessReads(store, () => saver.getTuple({ configurable: thread }));
    const listed = await excessReads(store, async () => {
      for await (const tuple of saver.list({ configurable: thread }, { limit: 10 }))
        expect(tuple.checkpoint).toBeDefined();
    });

    expect({ byId, latest, listed }).toEqual({ byId: [], latest: [], listed: [] });
    // The reads still return the whole checkpoint: the value set once, at the first step, and the latest state.
    const tuple = await saver.getTuple({ configurable: thread });
    expect(tuple?.checkpoint.channel_values).toEqual({ settings: { model: 'm' }, state: { i: CHECKPOINTS } });
    expect(tuple?.pendingWrites).toEqual([[`task-${CHECKPOINTS}`, 'state', { i: CHECKPOINTS + 1 }]]);
  });

  it('puts a checkpoint reading only the rows it writes', async () => {
    const store = await open();
    const saver = new AgentosSaver(store.db);
    const ids = await longThread(saver);
    const checkpoint = {
      ...emptyCheckpoint(),
      id: uuid6(-1),
      channel_values: { state: 0 },
      channel_versions: { state: 0.5 },
    };
    const config = { configurable: { ...thread, checkpoint_id: ids.at(-1) } };

    const put = await excessReads(store, () =>
      saver.put(config, checkpoint, { source: 'loop', step: 0, parents: {} }, { state: 0.5 }),
    );

    expect(put).toEqual([]);
    expect((await saver.getTuple({ configurable: thread }))?.checkpoint.id).toBe(checkpoint.id);
  });
});
