import { defineScenario } from '../../harness/define.js';
import type { ScenarioInput } from '../../harness/schema.js';

/** kill -9s per saver: every run but the last is killed. */
const KILLS = 10;
/** Tool calls the agent makes in all: enough that each killed run still has calls left when its kill is due. */
const TOOL_CALLS = 50;
type Saver = 'agentos' | 'sqlite';

/** Runs 1 … KILLS + 1 of one saver's agent, each started when the previous one has exited. */
function runs(saver: Saver): ScenarioInput['workers'] {
  return Array.from({ length: KILLS + 1 }, (_, i) => ({
    name: `${saver}-${i + 1}`,
    workload: 'langgraph-agent' as const,
    params: { saver, toolCalls: TOOL_CALLS },
    start: i === 0 ? ('start' as const) : { after: { kind: 'worker.exited' as const, worker: `${saver}-${i}` } },
  }));
}

/** Runs 1 … KILLS are each killed after a seeded number (1–3) of tool calls it started: mid-call, or just after one. */
function kills(saver: Saver): NonNullable<ScenarioInput['faults']> {
  return Array.from({ length: KILLS }, (_, i) => ({
    kind: 'sigkill' as const,
    target: `${saver}-${i + 1}`,
    inject: { after: { kind: 'step.started' as const, worker: `${saver}-${i + 1}`, count: { min: 1, max: 3 } } },
  }));
}

const name = { agentos: 'AgentosSaver', sqlite: 'SqliteSaver' } as const;

function criteria(saver: Saver): ScenarioInput['criteria'] {
  const taskId = `${saver}-agent`;
  return [
    {
      id: `${saver}-final-state`,
      description: `${name[saver]}: runs that ended with the graph's final state (all ${TOOL_CALLS} notes, in order)`,
      seed: '—',
      ours: '1 (the last run)',
      check: { check: 'event-count', kind: 'task.finished', where: { taskId, status: 'succeeded' }, equals: 1 },
    },
    {
      id: `${saver}-resumed`,
      description: `${name[saver]}: runs that started the graph over instead of resuming it`,
      seed: '—',
      ours: '0',
      check: { check: 'event-count', kind: 'task.finished', where: { taskId, resumedAfter: null }, equals: 0 },
    },
    {
      id: `${saver}-effects-once`,
      description: `${name[saver]}: tool side effects (effects-${saver}/, one file per call)`,
      seed: '—',
      ours: 'each exactly once',
      check: { check: 'side-effects-exactly-once', dir: `effects-${saver}`, files: TOOL_CALLS },
    },
  ];
}

export default defineScenario({
  id: 'langgraph-kill9',
  title: 'A LangGraph agent under kill -9, on AgentosSaver and on SqliteSaver',
  purpose: `The agent of examples/langgraph-agent.ts, killed with SIGKILL ${KILLS} times and resumed in a new process each time, ends with its final state and makes every tool side effect once — on the layer as its checkpointer and on LangGraph’s own SqliteSaver, under the same faults.`,
  seedTest: '— (not in the seed: the layer as a LangGraph checkpointer)',
  procedure: [
    `For each saver, a chain of ${KILLS + 1} runs of the agent (a fake LLM node picks the next of ${TOOL_CALLS} notes; a tool node writes it through the tool ledger with the idempotency pattern; durability 'sync'); each run starts when the previous one has exited and resumes the thread.`,
    `Runs 1–${KILLS} are each killed with SIGKILL after a seeded number (1–3) of tool calls it started, so a kill lands inside a tool call, between it and its checkpoint, or in the LLM node. The last run is not killed.`,
    'The two chains run side by side. AgentosSaver stores checkpoints in the subject’s store and fences the tool calls by the thread’s lease; a killed run’s lease is taken over at once by the next run (its process is gone). SqliteSaver uses a database file of its own under the same pragmas.',
  ],
  workers: [...runs('agentos'), ...runs('sqlite')],
  faults: [...kills('agentos'), ...kills('sqlite')],
  criteria: [
    ...criteria('agentos'),
    ...criteria('sqlite'),
    {
      id: 'integrity',
      description: 'Storage consistency check of the subject (PRAGMA integrity_check; amcheck)',
      seed: '—',
      ours: 'ok',
      check: { check: 'integrity-ok' },
    },
    {
      id: 'no-errors',
      description: 'No worker failed (the killed ones aside)',
      seed: '—',
      ours: '0 errors',
      check: { check: 'no-worker-errors' },
    },
  ],
  timeoutMs: 300_000,
  requires: ['langgraph', 'tools'],
});
