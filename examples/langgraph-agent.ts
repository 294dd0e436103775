// A LangGraph agent whose progress lives in the recovery layer. Kill it with SIGKILL at any moment and run it again:
// it resumes where it stopped, and each of its tool calls takes effect once.
//
//   pnpm tsx examples/langgraph-agent.ts [folder]    (default folder: agentos-langgraph-agent in the temp directory)
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph';
import { LLMOutputCache, ToolLedger, evidence, openDatabase } from '../src/index.js';
import { AgentosSaver } from '../src/langgraph/index.js';

const dir = process.argv[2] ?? join(tmpdir(), 'agentos-langgraph-agent');
mkdirSync(join(dir, 'notes'), { recursive: true });
const db = openDatabase(join(dir, 'agent.db'));
const saver = new AgentosSaver(db, { baseDir: dir }); // the checkpointer: one owner per thread, fenced writes
const llm = new LLMOutputCache(db); // a resumed run gets the answer the model already gave
const tools = new ToolLedger(db); // a tool call that finished is replayed, not run again

const threadId = 'release-notes';
const topics = ['checkpoints', 'leases', 'fencing', 'the tool ledger', 'recovery'];

interface ToolCall {
  id: string;
  file: string;
  text: string;
}

const Agent = Annotation.Root({
  notes: Annotation<string[]>({ reducer: (done, more) => [...done, ...more], default: () => [] }),
  next: Annotation<ToolCall | null>({ reducer: (_, next) => next, default: () => null }),
});

const graph = new StateGraph(Agent)
  // The "LLM": picks the next note to write. A stand-in for a model call, cached like one.
  .addNode('llm', async (state) => {
    const topic = topics[state.notes.length];
    if (topic === undefined) return { next: null };
    const prompt = `Write one line for the release notes about ${topic}.`;
    const answer = await llm.getOrGenerate({ model: 'fake-model', prompt }, async () => ({
      text: `The layer now keeps ${topic} safe across crashes.`,
    }));
    const id = `note-${state.notes.length + 1}`;
    console.log(`llm: next, write notes/${id}.md`);
    return { next: { id, file: `notes/${id}.md`, text: String(answer.text) } };
  })
  // The tool: writes the note through the tool ledger, fenced by the thread's lease.
  .addNode('tool', async (state, config) => {
    const call = state.next as ToolCall;
    // The idempotency pattern: the call's key is the same in every run, so a call that finished is replayed. One cut
    // off by a crash is in doubt; it may run again because the command itself checks the key in effects.log.
    const result = await tools.run(
      `grep -qxF "$CALL" effects.log 2>/dev/null || echo "$CALL" >> effects.log; printf '%s\\n' "$TEXT" > "$FILE"`,
      {
        cwd: dir,
        env: { CALL: call.id, TEXT: call.text, FILE: call.file },
        key: `${threadId}:${call.id}`,
        onInDoubt: 'execute',
        lease: await saver.threadLease(threadId),
      },
    );
    // Verified before this node's writes are saved: no checkpoint claims a note that is not on disk.
    saver.attachEvidence(config, evidence.pack(evidence.fileExists(call.file)));
    console.log(`tool: ${call.file} ${result.replayed ? 'replayed' : 'written'}`);
    return { notes: [call.file], next: null };
  })
  .addEdge(START, 'llm')
  .addConditionalEdges('llm', (state) => (state.next ? 'tool' : END))
  .addEdge('tool', 'llm')
  .compile({ checkpointer: saver });

// durability 'sync': each step's checkpoint is saved before the next step starts.
const config = { configurable: { thread_id: threadId }, durability: 'sync' as const };
const saved = await graph.getState(config);
// A node's writes are saved when it returns, before its step's checkpoint. Killed in between, the thread's last
// checkpoint has tasks whose writes are all saved: getState lists them in `tasks` but not in `next` (nothing is left to
// run), so `next` can be empty mid-run. Resuming (input null) applies those writes and goes on; a new input would drop
// them and run the step again.
const resuming = saved.tasks.length > 0;
console.log(resuming ? `resuming after step ${String(saved.metadata?.step)}` : 'starting');
const final = await graph.invoke(resuming ? null : {}, config);
console.log(`done: ${final.notes.length} notes in ${dir}`);
await saver.releaseThread(threadId);
db.close();
