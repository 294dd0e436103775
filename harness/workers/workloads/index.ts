import type { WorkloadName } from './params.js';
import type { Workload } from '../workload.js';

/** Worker programs by name, loaded on demand: a worker imports only the one it runs. */
export const workloads: { [K in WorkloadName]: () => Promise<Workload<K>> } = {
  'checkpoint-writer': async () => (await import('./checkpoint-writer.js')).checkpointWriter,
  'lease-holder': async () => (await import('./lease-holder.js')).leaseHolder,
  'lease-worker': async () => (await import('./lease-worker.js')).leaseWorker,
  sweeper: async () => (await import('./sweeper.js')).sweeper,
  'llm-cache': async () => (await import('./llm-cache.js')).llmCache,
  'tool-replay': async () => (await import('./tool-replay.js')).toolReplay,
  'task-runner': async () => (await import('./task-runner.js')).taskRunner,
  'lock-holder': async () => (await import('./lock-holder.js')).lockHolder,
  bench: async () => (await import('./bench.js')).bench,
  'langgraph-agent': async () => (await import('./langgraph-agent.js')).langgraphAgent,
};
