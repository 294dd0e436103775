import { bench } from './bench.js';
import { checkpointWriter } from './checkpoint-writer.js';
import { leaseHolder } from './lease-holder.js';
import { leaseWorker } from './lease-worker.js';
import { llmCache } from './llm-cache.js';
import { lockHolder } from './lock-holder.js';
import { sweeper } from './sweeper.js';
import { taskRunner } from './task-runner.js';
import { toolReplay } from './tool-replay.js';

/** Worker programs a declaration can name in `workers[].workload`. */
export const workloads = {
  'checkpoint-writer': checkpointWriter,
  'lease-holder': leaseHolder,
  'lease-worker': leaseWorker,
  sweeper,
  'llm-cache': llmCache,
  'tool-replay': toolReplay,
  'task-runner': taskRunner,
  'lock-holder': lockHolder,
  bench,
} as const;

export type WorkloadName = keyof typeof workloads;
export const WORKLOAD_NAMES = Object.keys(workloads) as [WorkloadName, ...WorkloadName[]];
