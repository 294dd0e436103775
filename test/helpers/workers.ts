import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import type { History } from '../../harness/history.js';
import type { AnyEvent } from '../../harness/workers/protocol.js';
import { Supervisor, type WorkerProcess } from '../../harness/workers/supervisor.js';

export type StartWorker = (
  dir: string,
  history: History,
  id: string,
  workload: string,
  params: Record<string, unknown>,
  onEvent?: (worker: WorkerProcess, event: AnyEvent) => void,
) => WorkerProcess;

/**
 * Starts real worker processes on `<dir>/agentos.db`, recording their events into a history. Every process is
 * reaped after each test, pass or fail, and the test fails if one survives.
 */
export function useWorkers(): StartWorker {
  let supervisor = new Supervisor();
  afterEach(async () => {
    await supervisor.reapAll();
    expect(supervisor.survivors()).toEqual([]);
    supervisor = new Supervisor();
  });
  return (dir, history, id, workload, params, onEvent) =>
    supervisor.spawn({
      id,
      group: id.replace(/-\d+$/, ''),
      workload,
      params,
      dbPath: join(dir, 'agentos.db'),
      runDir: dir,
      durability: 'normal',
      onEvent: (w, e) => {
        history.append(w.id, e);
        onEvent?.(w, e);
      },
      onExit: () => undefined,
    });
}
