import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { connectionPragmas, sha256Hex, type Fence } from '../../../src/index.js';
import type { SubjectStore } from '../../subject.js';
import { defineWorkload } from '../workload.js';

interface ToolCall {
  id: string;
  index: number;
  text: string;
}

/**
 * Runs, or resumes, the agent of examples/langgraph-agent.ts with the chosen checkpointer: a fake LLM node (CPU work,
 * so a kill can land inside it) picks the next of `toolCalls` notes, and a tool node writes it through the tool ledger
 * with the idempotency pattern. Each tool call appends its key to effects-<saver>/<call>.log unless the key is there
 * (the effect, once), and a line to runs-<saver>/<call>.log on every execution (how often the command really ran).
 * Events: step.started / step.finished per tool call, task.finished when the graph ends (status 'succeeded' when its
 * final state holds every note, in order).
 */
export const langgraphAgent = defineWorkload<'langgraph-agent'>({
  async run({ runDir, workerId, channel, openSubject }, params) {
    const { Annotation, END, START, StateGraph } = await import('@langchain/langgraph');
    const taskId = `${params.saver}-agent`;
    const store = await openSubject();
    const { tools } = store;
    if (!tools) throw new Error('langgraph-agent needs a subject with a tool ledger');
    const { saver, lease, close } = await openSaver(params.saver, store, {
      runDir,
      workerId,
      threadId: params.threadId,
    });
    for (const folder of [`effects-${params.saver}`, `runs-${params.saver}`, `notes-${params.saver}`])
      mkdirSync(join(runDir, folder), { recursive: true });
    const executed: string[] = [];

    const Agent = Annotation.Root({
      notes: Annotation<string[]>({ reducer: (done, more) => [...done, ...more], default: () => [] }),
      next: Annotation<ToolCall | null>({ reducer: (_, next) => next, default: () => null }),
    });
    const graph = new StateGraph(Agent)
      .addNode('llm', (state) => {
        const index = state.notes.length + 1;
        if (index > params.toolCalls) return { next: null };
        let text = `note ${index}`;
        for (let r = 0; r < params.thinkRounds; r++) text = sha256Hex(text);
        return { next: { id: `call-${index}`, index, text } };
      })
      .addNode('tool', async (state) => {
        const call = state.next!;
        channel.emit({ kind: 'step.started', taskId, step: call.id });
        const effect = `effects-${params.saver}/${call.id}.log`;
        const result = await tools.run(
          `echo ran >> "runs-${params.saver}/${call.id}.log"; grep -qxF "$KEY" "${effect}" 2>/dev/null || echo "$KEY" >> "${effect}"; printf '%s\\n' "$TEXT" > "notes-${params.saver}/${call.id}.md"`,
          {
            cwd: runDir,
            env: { KEY: `${taskId}:${call.id}`, TEXT: call.text },
            key: `${taskId}:${call.id}`,
            onInDoubt: 'execute',
            ...(await lease()),
          },
        );
        if (!result.replayed) executed.push(call.id);
        channel.emit({ kind: 'step.finished', taskId, step: call.id, seq: call.index, id: call.index });
        return { notes: [call.id], next: null };
      })
      .addEdge(START, 'llm')
      .addConditionalEdges('llm', (state) => (state.next ? 'tool' : END))
      .addEdge('tool', 'llm')
      .compile({ checkpointer: saver });

    try {
      // Two supersteps per tool call (LLM, tool), and LangGraph stops a run at 25 unless told otherwise.
      const config = {
        configurable: { thread_id: params.threadId },
        durability: 'sync' as const,
        recursionLimit: 2 * params.toolCalls + 5,
      };
      const saved = await graph.getState(config);
      // tasks, not next: a node's writes are saved before its step's checkpoint, and a task whose writes are saved
      // leaves next (the examples' agent showed it: killed in between, it started over; see agent-example.test.ts).
      const resumedAfter = saved.tasks.length > 0 ? `step ${String(saved.metadata?.step)}` : null;
      const final = await graph.invoke(resumedAfter === null ? {} : null, config);
      const expected = Array.from({ length: params.toolCalls }, (_, i) => `call-${i + 1}`);
      const complete = JSON.stringify(final.notes) === JSON.stringify(expected);
      channel.emit({
        kind: 'task.finished',
        taskId,
        status: complete ? 'succeeded' : 'failed',
        executed,
        skipped: params.toolCalls - executed.length,
        resumedAfter,
      });
      return { executed: executed.length, notes: final.notes.length };
    } finally {
      await close();
    }
  },
});

interface OpenedSaver {
  saver: BaseCheckpointSaver;
  /** Options that fence a tool call by the thread's lease (none for a saver without leases). */
  lease: () => Promise<{ lease?: Fence }>;
  close: () => Promise<void>;
}

/** AgentosSaver on the run's subject, or LangGraph's SqliteSaver on a file of its own under the same pragmas. */
async function openSaver(
  kind: 'agentos' | 'sqlite',
  store: SubjectStore,
  context: { runDir: string; workerId: string; threadId: string },
): Promise<OpenedSaver> {
  if (kind === 'agentos') {
    if (!store.saver) throw new Error('langgraph-agent with AgentosSaver needs a subject with langgraph');
    const saver = await store.saver({ workerId: context.workerId, baseDir: context.runDir });
    return {
      saver,
      lease: async () => ({ lease: await saver.threadLease(context.threadId) }),
      close: () => saver.releaseAll(),
    };
  }
  const { SqliteSaver } = await import('@langchain/langgraph-checkpoint-sqlite');
  const { default: Database } = await import('better-sqlite3');
  const file = new Database(join(context.runDir, 'sqlitesaver.db'));
  for (const pragma of connectionPragmas('normal')) file.pragma(pragma);
  return { saver: new SqliteSaver(file), lease: async () => ({}), close: async () => void file.close() };
}
