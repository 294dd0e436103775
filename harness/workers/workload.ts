import type { SubjectStore } from '../subject.js';
import type { WorkerChannel } from './channel.js';
import type { WorkloadName, WorkloadParams } from './workloads/params.js';

/** What a workload gets: its identity, folder and channel, and the subject to open. */
export interface WorkloadContext {
  workerId: string;
  /** The scenario's run folder: side-effect files and evidence live here. */
  runDir: string;
  channel: WorkerChannel;
  /** The run's subject (the system under test), opened in this process on first call with the worker's skewable clock; closed when the worker ends. */
  openSubject: () => Promise<SubjectStore>;
}

/** A worker program: runs with parameters the harness already validated, returns a summary of counts. */
export interface Workload<K extends WorkloadName> {
  run(context: WorkloadContext, params: WorkloadParams<K>): Promise<Record<string, number>>;
}

export function defineWorkload<K extends WorkloadName>(workload: Workload<K>): Workload<K> {
  return workload;
}
