import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import type { RunnableConfig } from '@langchain/core/runnables';
import { expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { LeaseLostError, evidence } from '../index.js';
import { AgentosSaver, ThreadBusyError } from './index.js';

const State = Annotation.Root({ n: Annotation<number>({ reducer: (_old, next) => next, default: () => 0 }) });
const thread: RunnableConfig = { configurable: { thread_id: 't' } };

/** Runs thread "t" once through `saver`, whose one node proves its work by a.txt; the saver keeps the thread. */
async function runWithEvidence(saver: AgentosSaver): Promise<void> {
  const graph = new StateGraph(State)
    .addNode('work', (s, config) => {
      saver.attachEvidence(config, evidence.pack(evidence.fileExists('a.txt')));
      return { n: s.n + 1 };
    })
    .addEdge(START, 'work')
    .addEdge('work', END)
    .compile({ checkpointer: saver });
  await graph.invoke({ n: 1 }, { ...thread, durability: 'sync' });
}

describeEachStore('AgentosSaver.verify', (open) => {
  it('is fenced: a saver that does not own the thread gets ThreadBusyError and records nothing', async () => {
    const { db, dir, leaseLog } = await open();
    const owner = new AgentosSaver(db, { workerId: 'owner', baseDir: dir });
    const other = new AgentosSaver(db, { workerId: 'other', baseDir: dir });
    writeFileSync(join(dir, 'a.txt'), 'a');
    await runWithEvidence(owner);
    const log = await leaseLog('thread:t');
    rmSync(join(dir, 'a.txt')); // a recorded re-verification would now say "failed"

    const busy = await other.verify(thread).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ThreadBusyError);
    expect(busy).toMatchObject({ threadId: 't', holder: 'owner' });
    expect(await owner.getEvidence(thread)).toMatchObject({ verified: true, verification: { ok: true } });
    expect(await leaseLog('thread:t')).toEqual(log);
  });

  it('is fenced: a saver whose lease was taken over gets LeaseLostError and records nothing', async () => {
    const { db, dir, expire, leaseLog } = await open();
    const stale = new AgentosSaver(db, { workerId: 'stale', baseDir: dir });
    const fresh = new AgentosSaver(db, { workerId: 'fresh', baseDir: dir });
    writeFileSync(join(dir, 'a.txt'), 'a');
    await runWithEvidence(stale);
    await expire('thread:t');
    await fresh.claimThread('t');
    rmSync(join(dir, 'a.txt'));

    const lost = await stale.verify(thread).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(LeaseLostError);
    expect(lost).toMatchObject({ itemId: 'thread:t', epoch: 1, currentEpoch: 2, currentHolder: 'fresh' });
    expect(await fresh.getEvidence(thread)).toMatchObject({ verified: true });
    expect((await leaseLog('thread:t')).filter((line) => line.endsWith(':stale'))).not.toContainEqual(
      expect.stringMatching(/^langgraph-verify/),
    );
  });

  it('records the outcome under the thread’s lease, taken for the write and given back when it was free', async () => {
    const { db, dir, leaseLog } = await open();
    const owner = new AgentosSaver(db, { workerId: 'owner', baseDir: dir });
    const other = new AgentosSaver(db, { workerId: 'other', baseDir: dir });
    writeFileSync(join(dir, 'a.txt'), 'a');
    await runWithEvidence(owner);
    await owner.releaseThread('t');
    rmSync(join(dir, 'a.txt'));

    expect((await other.verify(thread))?.ok).toBe(false);
    expect(await other.getEvidence(thread)).toMatchObject({ verified: false, verification: { ok: false } });
    expect((await leaseLog('thread:t')).slice(-3)).toEqual([
      'acquire@2:other',
      'langgraph-verify@2:other',
      'release@2:other',
    ]);
    // Given back: the owner takes the thread again at once.
    await expect(owner.claimThread('t')).resolves.toBeUndefined();
  });
});
