import { spawnSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../workers/build.js';
import { WORKER_NODE_OPTIONS } from '../workers/supervisor.js';

/** What a worker cannot go below: a node process started as workers are, bare and with LangGraph's checkpoint library. */
export interface WorkerFloorsKb {
  node: number | null;
  /** Every saver worker (AgentosSaver, the saver benchmarks, the LangGraph agent) imports it. */
  langgraphCheckpoint: number | null;
}

/** Peak RSS (kB, VmHWM) of a fresh node process that imports `modules` and exits; null off Linux or on any failure. */
export function nodePeakRssKb(modules: readonly string[]): number | null {
  const imports = modules.map((m) => `await import(${JSON.stringify(m)});`).join(' ');
  const script = `${imports} const { readFileSync } = await import('node:fs'); console.log(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '');`;
  const child = spawnSync(process.execPath, [...WORKER_NODE_OPTIONS, '--input-type=module', '-e', script], {
    cwd: PACKAGE_ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 30_000,
  });
  const kb = Number(child.stdout.trim());
  return child.status === 0 && Number.isInteger(kb) && kb > 0 ? kb : null;
}

export function measureWorkerFloors(): WorkerFloorsKb {
  return { node: nodePeakRssKb([]), langgraphCheckpoint: nodePeakRssKb(['@langchain/langgraph-checkpoint']) };
}
