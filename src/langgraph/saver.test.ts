import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { emptyCheckpoint, uuid6, type Checkpoint } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { describe, expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { InvalidArgumentError, LeaseLostError, evidence } from '../index.js';
import { AgentosSaver, TaskEvidenceError, ThreadBusyError } from './index.js';

const State = Annotation.Root({
  count: Annotation<number>({ reducer: (_old, next) => next, default: () => 0 }),
  log: Annotation<string[]>({ reducer: (old, next) => [...old, ...next], default: () => [] }),
});
type S = typeof State.State;

/** start → inc (count + 1) → dbl (count × 2) → end, with an optional hook inside each node. */
function counterGraph(
  saver: AgentosSaver,
  hook: (node: string, state: S, config: RunnableConfig) => Promise<void> | void = () => undefined,
) {
  return new StateGraph(State)
    .addNode('inc', async (s, config) => {
      await hook('inc', s, config);
      return { count: s.count + 1, log: ['inc'] };
    })
    .addNode('dbl', async (s, config) => {
      await hook('dbl', s, config);
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
/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}

/** One column of each row, in order. */
async function column(select: (sql: string) => Promise<Record<string, unknown>[]>, sql: string): Promise<unknown[]> {
  return (await select(sql)).map((row) => Object.values(row)[0]);
}

describeEachStore('AgentosSaver', (open) => {
  describe('one owner per thread', () => {
    it('refuses a second saver on a thread another saver holds with ThreadBusyError, writing nothing', async () => {
      const { db, count, select } = await open();
      const first = new AgentosSaver(db, { workerId: 'first', leaseDurationMs: 30_000 });
      const second = new AgentosSaver(db, { workerId: 'second' });
      await counterGraph(first).invoke({ count: 1 }, thread('t'));
      const rows = await count('langgraph_checkpoints');

      const busy = await counterGraph(second)
        .invoke({ count: 5 }, thread('t'))
        .catch((e: unknown) => e);
      const [expiry] = await column(select, "SELECT lease_expires_at FROM work_items WHERE id = 'thread:t'");
      expect(busy).toBeInstanceOf(ThreadBusyError);
      expect(busy).toMatchObject({ threadId: 't', holder: 'first', leaseExpiresAt: expiry });
      expect((busy as Error).message).toMatch(/thread "t" is being run by "first".*nothing was written/);
      expect(await count('langgraph_checkpoints')).toBe(rows);
      // Another thread is free, and the first thread is once its holder lets go.
      await expect(counterGraph(second).invoke({ count: 1 }, thread('other'))).resolves.toMatchObject({ count: 4 });
      await first.releaseThread('t');
      await expect(counterGraph(second).invoke({ count: 5 }, thread('t'))).resolves.toMatchObject({ count: 12 });
    });

    it('withThread releases the thread when the run ends, and refuses a second run of the same thread meanwhile', async () => {
      const { db } = await open();
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
      const { db, expire, select } = await open();
      const saver = new AgentosSaver(db, { workerId: 'solo', leaseDurationMs: 1000 });
      await saver.put(thread('t'), checkpoint(), meta, {});
      await expire('thread:t');
      await saver.put(thread('t'), checkpoint(), meta, {});
      const epochs = await column(select, 'SELECT lease_epoch FROM langgraph_checkpoints ORDER BY checkpoint_id');
      expect(epochs).toEqual([1, 2]);
    });

    it('takes a thread once when a run asks for it by several writes at once', async () => {
      const { db, leaseLog } = await open();
      const saver = new AgentosSaver(db, { workerId: 'solo' });
      const first = checkpoint();
      await Promise.all([
        saver.put(thread('t'), first, meta, {}),
        saver.putWrites({ configurable: { thread_id: 't', checkpoint_id: first.id } }, [['n', 1]], 'task-1'),
        saver.put(thread('t'), checkpoint(), meta, {}),
      ]);
      expect(await leaseLog('thread:t')).toEqual([
        'acquire@1:solo',
        'langgraph-put@1:solo',
        'langgraph-writes@1:solo',
        'langgraph-put@1:solo',
      ]);
    });
  });

  describe('fenced writes', () => {
    it('refuses every put and putWrites of a saver whose lease was taken over, also after the new holder lets go', async () => {
      const { db, count, expire, leaseLog } = await open();
      const stale = new AgentosSaver(db, { workerId: 'stale', leaseDurationMs: 60_000 });
      const fresh = new AgentosSaver(db, { workerId: 'fresh', leaseDurationMs: 60_000 });
      const mine = await stale.put(thread('t'), checkpoint(), meta, {});
      await expire('thread:t'); // the stale saver's lease has expired: the fresh one takes the thread over (epoch 2)
      await fresh.put(thread('t'), checkpoint(), meta, {});
      const rows = async () => ({
        checkpoints: await count('langgraph_checkpoints'),
        writes: await count('langgraph_writes'),
      });
      const before = await rows();

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
      await fresh.releaseThread('t');
      await expect(stale.put(thread('t'), checkpoint(), meta, {})).rejects.toBeInstanceOf(LeaseLostError);
      await expect(stale.trim('t', 1)).rejects.toBeInstanceOf(LeaseLostError);
      await expect(stale.deleteThread('t')).rejects.toBeInstanceOf(LeaseLostError);
      expect(await rows()).toEqual(before);
      // Every accepted write is in the lease log under the epoch that held the thread.
      expect(await leaseLog('thread:t')).toEqual([
        'acquire@1:stale',
        'langgraph-put@1:stale',
        'acquire@2:fresh',
        'langgraph-put@2:fresh',
        'release@2:fresh',
      ]);
      // Letting go of the lost lease is what allows the saver to run the thread again.
      await stale.releaseThread('t');
      await expect(stale.put(thread('t'), checkpoint(), meta, {})).resolves.toBeDefined();
    });

    it('stops a graph run whose thread was taken over mid-run: its next writes are refused', async () => {
      const { db, exec, leaseLog, select } = await open();
      const stale = new AgentosSaver(db, { workerId: 'stale', leaseDurationMs: 60_000 });
      const fresh = new AgentosSaver(db, { workerId: 'fresh', leaseDurationMs: 60_000 });
      let tookOver = false;
      const graph = counterGraph(stale, async (node) => {
        if (node !== 'dbl' || tookOver) return;
        // While "dbl" runs, the run's process is found dead (as if it had been killed, not its lease expiring: a write
        // still in flight would take an expired lease again) and another saver takes the thread and writes to it.
        // LangGraph does not wait for its puts before it runs the next node: the stale run's writes asked for so far
        // are done once its thread lease is, in the thread's order.
        await stale.threadLease('t');
        await exec(`UPDATE work_items SET holder_pid = ${deadPid()} WHERE id = 'thread:t'`);
        await fresh.claimThread('t');
        tookOver = true;
      });
      await expect(graph.invoke({ count: 1 }, thread('t'))).rejects.toBeInstanceOf(LeaseLostError);
      // The run's checkpoints up to the takeover are there (LangGraph puts them in the background, so how many of the
      // first three depends on its scheduling); nothing the stale run wrote was accepted after the takeover.
      const log = await leaseLog('thread:t');
      const takeover = log.indexOf('takeover@2:fresh');
      expect(takeover).toBeGreaterThan(0);
      expect(log.slice(takeover + 1).filter((entry) => entry.endsWith(':stale'))).toEqual([]);
      expect(log.slice(0, takeover)).toContain('langgraph-put@1:stale');
      const steps = [];
      for await (const tuple of fresh.list(thread('t'))) steps.push(tuple.metadata?.step);
      // Every checkpoint there is one the stale run put before the takeover, and none from a later step.
      expect(steps).toHaveLength(log.slice(0, takeover).filter((entry) => entry === 'langgraph-put@1:stale').length);
      expect(steps.every((step) => (step ?? 9) <= 1)).toBe(true);
      expect(await column(select, 'SELECT DISTINCT lease_epoch FROM langgraph_checkpoints')).toEqual([1]);
    });
  });

  describe('evidence', () => {
    it('records the evidence a node attached on the checkpoint its writes produce, verified when they were saved', async () => {
      const { db, dir } = await open();
      const saver = new AgentosSaver(db, { baseDir: dir });
      const graph = counterGraph(saver, (node, _s, config) => {
        if (node !== 'inc') return;
        writeFileSync(join(dir, 'inc.txt'), 'done');
        saver.attachEvidence(config, evidence.pack(evidence.fileExists('inc.txt')));
      });
      await graph.invoke({ count: 1 }, thread('t'));
      const tuples = [];
      for await (const tuple of saver.list(thread('t')))
        tuples.push({ step: tuple.metadata?.step, evidence: await saver.getEvidence(tuple.config) });
      expect(tuples.find((t) => t.step === 1)?.evidence).toMatchObject({
        evidence: { items: [{ kind: 'file-exists', path: 'inc.txt' }] },
        verified: true,
      });
      expect(tuples.filter((t) => t.evidence !== null)).toHaveLength(1);
      const afterInc = tuples.find((t) => t.step === 1)!;
      expect(afterInc.evidence?.verification?.ok).toBe(true);
      expect(afterInc.evidence?.verifiedAt).toEqual(expect.any(Number));
    });

    it('refuses the writes of a node whose evidence fails and every checkpoint built on them; resuming runs the node again', async () => {
      const { db, dir, select } = await open();
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
      expect(await select("SELECT 1 FROM langgraph_writes WHERE channel = 'log'")).toEqual([]);

      writeFileSync(join(dir, 'report.txt'), 'now it exists');
      await expect(graph.invoke(null, { ...thread('t'), durability: 'sync' })).resolves.toMatchObject({ count: 4 });
      expect(runs).toEqual(['inc', 'inc', 'dbl']);
      expect(await saver.getEvidence(thread('t'))).toBeNull();
      const history = [];
      for await (const tuple of saver.list(thread('t')))
        history.push((await saver.getEvidence(tuple.config))?.verified ?? null);
      expect(history).toEqual([null, true, null, null]);
    });

    it('re-verifies a stored checkpoint with verify() and records the outcome', async () => {
      const { db, dir } = await open();
      const saver = new AgentosSaver(db, { baseDir: dir });
      writeFileSync(join(dir, 'a.txt'), 'a');
      await counterGraph(saver, (node, _s, config) => {
        if (node === 'dbl') saver.attachEvidence(config, evidence.pack(evidence.fileExists('a.txt')));
      }).invoke({ count: 1 }, thread('t'));
      expect((await saver.getEvidence(thread('t')))?.verified).toBe(true);
      writeFileSync(join(dir, 'a.txt'), '');
      expect((await saver.verify(thread('t')))?.ok).toBe(true);
      rmSync(join(dir, 'a.txt'));
      expect((await saver.verify(thread('t')))?.failures[0]?.reason).toMatch(/a\.txt/);
      expect(await saver.getEvidence(thread('t'))).toMatchObject({ verified: false, verification: { ok: false } });
      expect(existsSync(join(dir, 'a.txt'))).toBe(false);
    });
  });

  describe('retention', () => {
    it('keeps only the newest keepLast checkpoints of a namespace, with their writes and the values they use', async () => {
      const { db, count, select } = await open();
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
      expect(await count('langgraph_writes')).toBe(3);
      const blobs = await column(select, 'SELECT channel || version FROM langgraph_blobs');
      expect(blobs.sort()).toEqual(['fixed1', 'n10', 'n8', 'n9']);
    });

    it('trim() trims every namespace of one thread and leaves other threads alone', async () => {
      const { db, select } = await open();
      const saver = new AgentosSaver(db);
      for (const ns of ['', 'child']) {
        for (let i = 0; i < 4; i++)
          await saver.put({ configurable: { thread_id: 't', checkpoint_ns: ns } }, checkpoint({ v: i }), meta, {
            v: 1,
          });
      }
      for (let i = 0; i < 4; i++) await saver.put(thread('other'), checkpoint(), meta, {});
      expect(await saver.trim('t', 1)).toEqual({ checkpoints: 6, writes: 0, blobs: 0 });
      const perThread =
        'SELECT thread_id, COUNT(*) AS n FROM langgraph_checkpoints GROUP BY thread_id ORDER BY thread_id';
      expect((await select(perThread)).map((r) => [r.thread_id, Number(r.n)])).toEqual([
        ['other', 4],
        ['t', 2],
      ]);
      await expect(saver.trim('t', 0)).rejects.toThrow(/keepLast must be an integer ≥ 1, got number 0/);
      // Another saver may not trim a thread this one holds: trim is fenced like every write.
      await expect(new AgentosSaver(db).trim('t', 1)).rejects.toThrow(ThreadBusyError);
      expect((await select(perThread)).map((r) => [r.thread_id, Number(r.n)])).toEqual([
        ['other', 4],
        ['t', 2],
      ]);
    });

    it('trim() deletes the writes and the values only trimmed checkpoints used', async () => {
      const { db, count } = await open();
      const saver = new AgentosSaver(db);
      let config = thread('t');
      for (let i = 1; i <= 4; i++) {
        const cp = { ...checkpoint({ n: i }), channel_versions: { n: i } };
        config = await saver.put(config, cp, meta, { n: i });
        await saver.putWrites(config, [['n', i + 1]], `task-${i}`);
      }
      expect(await saver.trim('t', 2)).toEqual({ checkpoints: 2, writes: 2, blobs: 2 });
      expect(await count('langgraph_blobs')).toBe(2);
      expect(await saver.trim('t', 2)).toEqual({ checkpoints: 0, writes: 0, blobs: 0 });
    });
  });

  describe('forks and input', () => {
    it('keeps both branches of a forked thread intact (channel versions never repeat across branches)', async () => {
      const { db } = await open();
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
      const { db, count } = await open();
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
      await expect(saver.claimThread('')).rejects.toThrow(/claimThread: threadId is missing/);
      expect(() => new AgentosSaver(db, { keeplast: 3 } as never)).toThrow(
        /unknown option "keeplast"; the options are workerId, leaseDurationMs/,
      );
      expect(() => new AgentosSaver(db, { leaseDurationMs: -1 })).toThrow(InvalidArgumentError);
      expect((await count('langgraph_checkpoints')) + (await count('work_items'))).toBe(0);
    });
  });
});
