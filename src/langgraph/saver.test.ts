import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { describe, expect, it } from 'vitest';
import { useTempDb } from '../../test/helpers/temp-db.js';
import { InvalidArgumentError, LeaseLostError, evidence, type AgentDatabase } from '../index.js';
import { AgentosSaver, TaskEvidenceError, ThreadBusyError } from './index.js';

const State = Annotation.Root({
  count: Annotation<number>({ reducer: (_old, next) => next, default: () => 0 }),
  log: Annotation<string[]>({ reducer: (old, next) => [...old, ...next], default: () => [] }),
});
type S = typeof State.State;

/** start → inc (count + 1) → dbl (count × 2) → end, with an optional hook inside each node. */
function counterGraph(
  saver: AgentosSaver,
  hook: (node: string, state: S, config: RunnableConfig) => void = () => undefined,
) {
  return new StateGraph(State)
    .addNode('inc', (s, config) => {
      hook('inc', s, config);
      return { count: s.count + 1, log: ['inc'] };
    })
    .addNode('dbl', (s, config) => {
      hook('dbl', s, config);
      return { count: s.count * 2, log: ['dbl'] };
    })
    .addEdge(START, 'inc')
    .addEdge('inc', 'dbl')
    .addEdge('dbl', END)
    .compile({ checkpointer: saver });
}

const thread = (threadId: string): RunnableConfig => ({ configurable: { thread_id: threadId } });
const meta = { source: 'loop' as const, step: 0, parents: {} };
function checkpoint(values: Record<string, unknown> = {}): Checkpoint {
  return {
    ...emptyCheckpoint(),
    id: uuid6(-1),
    channel_values: values,
    channel_versions: Object.fromEntries(Object.keys(values).map((k) => [k, 1])),
  };
}
function count(db: AgentDatabase, table: string): number {
  return db.sqlite.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
}

describe('AgentosSaver: one owner per thread', () => {
  const tempDb = useTempDb();

  it('refuses a second saver on a thread another saver holds with ThreadBusyError, writing nothing', async () => {
    const { db, clock } = tempDb();
    const first = new AgentosSaver(db, { workerId: 'first', leaseDurationMs: 30_000 });
    const second = new AgentosSaver(db, { workerId: 'second' });
    await counterGraph(first).invoke({ count: 1 }, thread('t'));
    const rows = count(db, 'langgraph_checkpoints');

    const busy = await counterGraph(second)
      .invoke({ count: 5 }, thread('t'))
      .catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ThreadBusyError);
    expect(busy).toMatchObject({ threadId: 't', holder: 'first', leaseExpiresAt: clock.now() + 30_000 });
    expect((busy as Error).message).toMatch(/thread "t" is being run by "first".*nothing was written/);
    expect(count(db, 'langgraph_checkpoints')).toBe(rows);
    // Another thread is free, and the first thread is once its holder lets go.
    await expect(counterGraph(second).invoke({ count: 1 }, thread('other'))).resolves.toMatchObject({ count: 4 });
    first.releaseThread('t');
    await expect(counterGraph(second).invoke({ count: 5 }, thread('t'))).resolves.toMatchObject({ count: 12 });
  });

  it('withThread releases the thread when the run ends, and refuses a second run of the same thread meanwhile', async () => {
    const { db } = tempDb();
    const first = new AgentosSaver(db, { workerId: 'first' });
    const second = new AgentosSaver(db, { workerId: 'second' });
    const graph = counterGraph(first);
    let nested: unknown;
    await first.withThread('t', async () => {
      nested = await first.withThread('t', () => 'ran').catch((e: unknown) => e);
      await expect(counterGraph(second).invoke({ count: 1 }, thread('t'))).rejects.toBeInstanceOf(ThreadBusyError);
      return graph.invoke({ count: 1 }, thread('t'));
    });
    expect(nested).toBeInstanceOf(ThreadBusyError);
    await expect(counterGraph(second).invoke({ count: 2 }, thread('t'))).resolves.toMatchObject({ count: 6 });
  });

  it('takes the thread again under a new epoch when its own lease expired and nobody took it', async () => {
    const { db, clock } = tempDb();
    const saver = new AgentosSaver(db, { workerId: 'solo', leaseDurationMs: 1000 });
    await saver.put(thread('t'), checkpoint(), meta, {});
    clock.advance(5000);
    await saver.put(thread('t'), checkpoint(), meta, {});
    const epochs = db.sqlite
      .prepare('SELECT lease_epoch FROM langgraph_checkpoints ORDER BY checkpoint_id')
      .pluck()
      .all();
    expect(epochs).toEqual([1, 2]);
  });
});

describe('AgentosSaver: fenced writes', () => {
  const tempDb = useTempDb();

  it('refuses every put and putWrites of a saver whose lease was taken over, also after the new holder lets go', async () => {
    const { db, clock } = tempDb();
    const stale = new AgentosSaver(db, { workerId: 'stale', leaseDurationMs: 1000 });
    const fresh = new AgentosSaver(db, { workerId: 'fresh', leaseDurationMs: 1000 });
    const mine = await stale.put(thread('t'), checkpoint(), meta, {});
    clock.advance(1001); // the stale saver's lease has expired: the fresh one takes the thread over (epoch 2)
    await fresh.put(thread('t'), checkpoint(), meta, {});
    const before = { checkpoints: count(db, 'langgraph_checkpoints'), writes: count(db, 'langgraph_writes') };

    const put = await stale.put(thread('t'), checkpoint(), meta, {}).catch((e: unknown) => e);
    const writes = await stale.putWrites(mine, [['count', 1]], 'task-1').catch((e: unknown) => e);
    expect(put).toBeInstanceOf(LeaseLostError);
    expect(put).toMatchObject({
      itemId: 'thread:t',
      epoch: 1,
      currentEpoch: 2,
      currentHolder: 'fresh',
      operation: 'langgraph-put',
    });
    expect(writes).toBeInstanceOf(LeaseLostError);
    expect(writes).toMatchObject({ operation: 'langgraph-writes', currentEpoch: 2 });
    fresh.releaseThread('t');
    await expect(stale.put(thread('t'), checkpoint(), meta, {})).rejects.toBeInstanceOf(LeaseLostError);
    expect({ checkpoints: count(db, 'langgraph_checkpoints'), writes: count(db, 'langgraph_writes') }).toEqual(before);
    // Every accepted write is in the lease log under the epoch that held the thread.
    const log = db.sqlite
      .prepare("SELECT holder || '@' || epoch || ' ' || op FROM lease_log WHERE item_id = 'thread:t' ORDER BY seq")
      .pluck()
      .all();
    expect(log).toEqual([
      'stale@1 acquire',
      'stale@1 langgraph-put',
      'fresh@2 acquire',
      'fresh@2 langgraph-put',
      'fresh@2 release',
    ]);
    // Letting go of the lost lease is what allows the saver to run the thread again.
    stale.releaseThread('t');
    await expect(stale.put(thread('t'), checkpoint(), meta, {})).resolves.toBeDefined();
  });

  it('stops a graph run whose thread was taken over mid-run: its next writes are refused', async () => {
    const { db, clock } = tempDb();
    const stale = new AgentosSaver(db, { workerId: 'stale', leaseDurationMs: 1000 });
    const fresh = new AgentosSaver(db, { workerId: 'fresh', leaseDurationMs: 1000 });
    let tookOver = false;
    const graph = counterGraph(stale, (node) => {
      if (node !== 'dbl' || tookOver) return;
      // While "dbl" runs, the run's lease expires and another saver takes the thread and writes to it.
      clock.advance(1001);
      fresh.claimThread('t');
      tookOver = true;
    });
    await expect(graph.invoke({ count: 1 }, thread('t'))).rejects.toBeInstanceOf(LeaseLostError);
    // The run's checkpoints up to the takeover are there (LangGraph puts them in the background, so how many of the
    // first three depends on its scheduling); nothing the stale run wrote was accepted after the takeover.
    const log = db.sqlite
      .prepare("SELECT holder || ' ' || op FROM lease_log WHERE item_id = 'thread:t' ORDER BY seq")
      .pluck()
      .all() as string[];
    const takeover = log.indexOf('fresh acquire');
    expect(takeover).toBeGreaterThan(0);
    expect(log.slice(takeover + 1).filter((entry) => entry.startsWith('stale'))).toEqual([]);
    expect(log.slice(0, takeover)).toContain('stale langgraph-put');
    const steps = [];
    for await (const tuple of fresh.list(thread('t'))) steps.push(tuple.metadata?.step);
    expect(steps.length).toBeGreaterThanOrEqual(2);
    expect(steps.every((step) => (step ?? 9) <= 1)).toBe(true);
    expect(db.sqlite.prepare('SELECT DISTINCT lease_epoch FROM langgraph_checkpoints').pluck().all()).toEqual([1]);
  });
});

describe('AgentosSaver: evidence', () => {
  const tempDb = useTempDb();

  it('records the evidence a node attached on the checkpoint its writes produce, verified when they were saved', async () => {
    const { db, dir } = tempDb();
    const saver = new AgentosSaver(db, { baseDir: dir });
    const graph = counterGraph(saver, (node, _s, config) => {
      if (node !== 'inc') return;
      writeFileSync(join(dir, 'inc.txt'), 'done');
      saver.attachEvidence(config, evidence.pack(evidence.fileExists('inc.txt')));
    });
    await graph.invoke({ count: 1 }, thread('t'));
    const tuples = [];
    for await (const tuple of saver.list(thread('t')))
      tuples.push({ step: tuple.metadata?.step, evidence: saver.getEvidence(tuple.config) });
    expect(tuples.find((t) => t.step === 1)?.evidence).toMatchObject({
      evidence: { items: [{ kind: 'file-exists', path: 'inc.txt' }] },
      verified: true,
    });
    expect(tuples.filter((t) => t.evidence !== null)).toHaveLength(1);
    const afterInc = tuples.find((t) => t.step === 1)!;
    expect(afterInc.evidence?.verification?.ok).toBe(true);
  });

  it('refuses the writes of a node whose evidence fails and every checkpoint built on them; resuming runs the node again', async () => {
    const { db, dir } = tempDb();
    const saver = new AgentosSaver(db, { baseDir: dir });
    const runs: string[] = [];
    const graph = counterGraph(saver, (node, _s, config) => {
      runs.push(node);
      if (node === 'inc') saver.attachEvidence(config, evidence.pack(evidence.fileExists('report.txt')));
    });
    // durability 'sync': LangGraph waits for the step's writes before it starts the next step, so "dbl" never runs.
    const failed = await graph.invoke({ count: 1 }, { ...thread('t'), durability: 'sync' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TaskEvidenceError);
    const steps = [];
    for await (const tuple of saver.list(thread('t'))) steps.push(tuple.metadata?.step);
    expect(steps).toEqual([0, -1]);
    expect((failed as Error).message).toMatch(/writes of task ".+" on thread "t" were refused: .*report\.txt/);
    // Only the graph's input was saved: no write of "inc" (the only writers of the log channel are the nodes).
    expect(db.sqlite.prepare("SELECT COUNT(*) FROM langgraph_writes WHERE channel = 'log'").pluck().get()).toBe(0);

    writeFileSync(join(dir, 'report.txt'), 'now it exists');
    await expect(graph.invoke(null, { ...thread('t'), durability: 'sync' })).resolves.toMatchObject({ count: 4 });
    expect(runs).toEqual(['inc', 'inc', 'dbl']);
    expect(saver.getEvidence(thread('t'))).toBeNull();
    const history = [];
    for await (const tuple of saver.list(thread('t'))) history.push(saver.getEvidence(tuple.config)?.verified ?? null);
    expect(history).toEqual([null, true, null, null]);
  });

  it('re-verifies a stored checkpoint with verify() and records the outcome', async () => {
    const { db, dir } = tempDb();
    const saver = new AgentosSaver(db, { baseDir: dir });
    writeFileSync(join(dir, 'a.txt'), 'a');
    await counterGraph(saver, (node, _s, config) => {
      if (node === 'dbl') saver.attachEvidence(config, evidence.pack(evidence.fileExists('a.txt')));
    }).invoke({ count: 1 }, thread('t'));
    expect(saver.getEvidence(thread('t'))?.verified).toBe(true);
    writeFileSync(join(dir, 'a.txt'), '');
    expect(saver.verify(thread('t'))?.ok).toBe(true);
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'a.txt'));
    expect(saver.verify(thread('t'))?.failures[0]?.reason).toMatch(/a\.txt/);
    expect(saver.getEvidence(thread('t'))?.verified).toBe(false);
    expect(existsSync(join(dir, 'a.txt'))).toBe(false);
  });
});

describe('AgentosSaver: retention', () => {
  const tempDb = useTempDb();

  it('keeps only the newest keepLast checkpoints of a namespace, with their writes and the values they use', async () => {
    const { db } = tempDb();
    const saver = new AgentosSaver(db, { keepLast: 3 });
    // "fixed" is written once and carried over by every later checkpoint; "n" changes every time.
    let config = thread('t');
    const ids: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const cp = { ...checkpoint({ fixed: 'kept', n: i }), channel_versions: { fixed: 1, n: i } };
      config = await saver.put(config, cp, { ...meta, step: i }, i === 1 ? { fixed: 1, n: 1 } : { n: i });
      await saver.putWrites(config, [['n', i + 1]], `task-${i}`);
      ids.push(cp.id);
    }
    const kept = [];
    for await (const tuple of saver.list(thread('t'))) kept.push(tuple.checkpoint);
    expect(kept.map((c) => c.id)).toEqual(ids.slice(7).reverse());
    expect(kept.map((c) => c.channel_values)).toEqual([8, 9, 10].reverse().map((n) => ({ fixed: 'kept', n })));
    expect(count(db, 'langgraph_writes')).toBe(3);
    expect(db.sqlite.prepare('SELECT channel || version FROM langgraph_blobs ORDER BY 1').pluck().all()).toEqual([
      'fixed1',
      'n10',
      'n8',
      'n9',
    ]);
  });

  it('trim() trims every namespace of one thread and leaves other threads alone', async () => {
    const { db } = tempDb();
    const saver = new AgentosSaver(db);
    for (const ns of ['', 'child']) {
      for (let i = 0; i < 4; i++)
        await saver.put({ configurable: { thread_id: 't', checkpoint_ns: ns } }, checkpoint({ v: i }), meta, { v: 1 });
    }
    for (let i = 0; i < 4; i++) await saver.put(thread('other'), checkpoint(), meta, {});
    expect(saver.trim('t', 1)).toEqual({ checkpoints: 6, writes: 0, blobs: 0 });
    expect(
      db.sqlite
        .prepare('SELECT thread_id, COUNT(*) AS n FROM langgraph_checkpoints GROUP BY thread_id ORDER BY thread_id')
        .all(),
    ).toEqual([
      { thread_id: 'other', n: 4 },
      { thread_id: 't', n: 2 },
    ]);
    expect(() => saver.trim('t', 0)).toThrow(/keepLast must be an integer ≥ 1, got number 0/);
    // Another saver may not trim a thread this one holds: trim is fenced like every write.
    expect(() => new AgentosSaver(db).trim('t', 1)).toThrow(ThreadBusyError);
    expect(db.sqlite.prepare("SELECT COUNT(*) FROM langgraph_checkpoints WHERE thread_id = 't'").pluck().get()).toBe(2);
  });
});

describe('AgentosSaver: forks and input', () => {
  const tempDb = useTempDb();

  it('keeps both branches of a forked thread intact (channel versions never repeat across branches)', async () => {
    const { db } = tempDb();
    const saver = new AgentosSaver(db);
    const graph = counterGraph(saver);
    await graph.invoke({ count: 1 }, thread('t'));
    const history = [];
    for await (const state of graph.getStateHistory(thread('t'))) history.push(state);
    const afterInput = history.find((s) => s.metadata?.step === 0)!;
    // Fork from the checkpoint before "inc" ran: the fork writes count = 100 and runs inc and dbl again.
    const fork = await graph.updateState(afterInput.config, { count: 100 });
    await graph.invoke(null, fork);
    expect(((await graph.getState(fork)).values as { count: number }).count).toBe(100);
    expect(((await graph.getState(thread('t'))).values as { count: number }).count).toBe(202);
    const original = history[0]!;
    expect((await graph.getState(original.config)).values).toEqual({ count: 4, log: ['inc', 'dbl'] });
  });

  it('names the method, the key and what is valid for bad input, before writing anything', async () => {
    const { db } = tempDb();
    const saver = new AgentosSaver(db);
    await expect(saver.put({}, checkpoint(), meta, {})).rejects.toThrow(
      /AgentosSaver.put: config.configurable is missing/,
    );
    await expect(saver.put({ configurable: { checkpoint_ns: '' } }, checkpoint(), meta, {})).rejects.toThrow(
      /put: config.configurable.thread_id is missing/,
    );
    await expect(
      saver.put({ configurable: { thread_id: 't', checkpoint_ns: 7 } }, checkpoint(), meta, {}),
    ).rejects.toThrow(/checkpoint_ns must be a string/);
    await expect(saver.putWrites(thread('t'), [], 'task')).rejects.toThrow(
      /putWrites: config.configurable.checkpoint_id is missing/,
    );
    expect(() => saver.attachEvidence(thread('t'), evidence.pack())).toThrow(
      /pass the config a LangGraph node receives/,
    );
    expect(() => new AgentosSaver(db, { keeplast: 3 } as never)).toThrow(
      /unknown option "keeplast"; the options are workerId, leaseDurationMs/,
    );
    expect(() => new AgentosSaver(db, { leaseDurationMs: -1 })).toThrow(InvalidArgumentError);
    expect(count(db, 'langgraph_checkpoints') + count(db, 'work_items')).toBe(0);
  });
});
