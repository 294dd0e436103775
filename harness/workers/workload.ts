import type { z } from 'zod';
import type { AgentDatabase, SkewedClock } from '../../src/index.js';
import type { WorkerChannel } from './channel.js';

/** What a workload gets: its database (opened with the worker's skewable clock), identity, folder and channel. */
export interface WorkloadContext {
  db: AgentDatabase;
  clock: SkewedClock;
  workerId: string;
  /** The scenario's run folder: side-effect files and evidence live here. */
  runDir: string;
  channel: WorkerChannel;
}

/** A worker program: a params schema and a run function returning a summary of counts. */
export interface Workload<S extends z.ZodType = z.ZodType> {
  params: S;
  run(context: WorkloadContext, params: z.infer<S>): Promise<Record<string, number>>;
}

export function defineWorkload<S extends z.ZodType>(workload: Workload<S>): Workload<S> {
  return workload;
}
