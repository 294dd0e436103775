import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { BUILD_DIR, PACKAGE_ROOT } from '../workers/build.js';
import { WORKER_NODE_OPTIONS } from '../workers/supervisor.js';
import { vendoredBundle } from '../workers/vendor.js';

/** What a worker cannot go below: a node process started as workers are, bare and with LangGraph's checkpoint library. */
export interface WorkerFloorsKb {
  node: number | null;
  /** Every saver worker (AgentosSaver, the saver benchmarks, the LangGraph agent) imports it. */
  langgraphCheckpoint: number | null;
}

/** Peak RSS (kB, VmHWM) of a fresh node process that imports `modules` and exits; null off Linux or on any failure. */
export async function nodePeakRssKb(modules: readonly string[]): Promise<number | null> {
  const imports = modules.map((m) => `await import(${JSON.stringify(m)});`).join(' ');
  const script = `${imports} const { readFileSync } = await import('node:fs'); console.log(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '');`;
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [...WORKER_NODE_OPTIONS, '--input-type=module', '-e', script],
      { cwd: PACKAGE_ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 30_000 },
    );
    const kb = Number(stdout.trim());
    return Number.isInteger(kb) && kb > 0 ? kb : null;
  } catch {
    return null;
  }
}

/** Both floors, measured side by side; the library as workers load it (the worker build's bundle, when there is one). */
export async function measureWorkerFloors(): Promise<WorkerFloorsKb> {
  const bundle = vendoredBundle(BUILD_DIR, '@langchain/langgraph-checkpoint');
  const library = existsSync(bundle) ? pathToFileURL(bundle).href : '@langchain/langgraph-checkpoint';
  const [node, langgraphCheckpoint] = await Promise.all([nodePeakRssKb([]), nodePeakRssKb([library])]);
  return { node, langgraphCheckpoint };
}
