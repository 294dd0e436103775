import type { AgentDatabase, SkewedClock } from '../../src/index.js';
import type { SubjectStore } from '../subjects/subject.js';
import type { WorkerChannel } from './channel.js';
import type { WorkloadName, WorkloadParams } from './workloads/params.js';

/** What a workload gets: its database (opened with the worker's skewable clock), identity, folder and channel. */
export interface WorkloadContext {
  db: AgentDatabase;
  clock: SkewedClock;
  workerId: string;
  /** The scenario's run folder: side-effect files and evidence live here. */
  runDir: string;
  channel: WorkerChannel;
  /** The run's subject (the system under test), opened in this process on first call; closed when the worker ends. */
  openSubject: () => Promise<SubjectStore>;
}

/** A worker program: runs with parameters the harness already validated, returns a summary of counts. */
export interface Workload<K extends WorkloadName> {
  run(context: WorkloadContext, params: WorkloadParams<K>): Promise<Record<string, number>>;
}

export function defineWorkload<K extends WorkloadName>(workload: Workload<K>): Workload<K> {
  return workload;
}
