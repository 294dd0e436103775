import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../workers/protocol.js';
import { workerEvidence } from './worker-evidence.js';

const started = (worker: string, group: string, pid: number): HistoryEntry => ({
  kind: 'worker.started',
  pid,
  group,
  t: 1,
  worker,
});
const exited = (worker: string, exitCode: number | null, signal: string | null): HistoryEntry => ({
  kind: 'worker.exited',
  exitCode,
  signal,
  peakRssKb: null,
  t: 2,
  worker,
});

describe('workerEvidence', () => {
  it('reports errors and unexpected exits, not a death the declared fault caused', () => {
    const lines = workerEvidence([
      started('first', 'first', 11),
      started('second', 'second', 12),
      {
        kind: 'fault.injected',
        fault: 'sigkill',
        target: 'first',
        detail: 'SIGKILL sent to first',
        affected: 1,
        t: 2,
        worker: 'harness',
      },
      exited('first', null, 'SIGKILL'),
      {
        kind: 'worker.error',
        message: 'InDoubtToolCallError: call 9 has no result\n    at run',
        t: 3,
        worker: 'second',
      },
      exited('second', 1, null),
    ]);
    expect(lines).toEqual(['second: InDoubtToolCallError: call 9 has no result', 'second (pid 12) exited with code 1']);
  });

  it('names a kill no fault sent, and the last stderr line of a worker that failed without an error event', () => {
    const lines = workerEvidence([
      started('a', 'a', 1),
      started('b', 'b', 2),
      exited('a', null, 'SIGKILL'),
      { kind: 'worker.stderr', text: 'node: something\nTypeError: x is not a function', t: 3, worker: 'b' },
      exited('b', 1, null),
    ]);
    expect(lines).toEqual([
      'a (pid 1) was killed by SIGKILL, which no fault sent',
      'b (pid 2) exited with code 1',
      'b stderr: TypeError: x is not a function',
    ]);
  });

  it('names a kill the harness sent at teardown with its reason, and still flags one nobody sent', () => {
    const lines = workerEvidence([
      started('victim', 'victim', 7),
      started('other', 'other', 8),
      { kind: 'worker.reaped', reason: 'the scenario timed out after 30000 ms', t: 2, worker: 'victim' },
      exited('victim', null, 'SIGKILL'),
      exited('other', null, 'SIGKILL'),
    ]);
    expect(lines).toEqual([
      'victim (pid 7) was killed by SIGKILL, which the harness sent at teardown: the scenario timed out after 30000 ms',
      'other (pid 8) was killed by SIGKILL, which no fault sent',
    ]);
  });

  it("names the error of Node's uncaught-error report, not its closing version line", () => {
    const report = [
      'node:events:502',
      "      throw er; // Unhandled 'error' event",
      '',
      'Error: read ECONNRESET',
      '    at TCP.onStreamRead (node:internal/stream_base_commons:218:20)',
      "Emitted 'error' event on Client instance at:",
      '    at Client._handleErrorEvent (client.js:422:10)',
      '',
      'Node.js v20.20.2',
    ].join('\n');
    const lines = workerEvidence([
      started('w', 'w', 5),
      { kind: 'worker.stderr', text: report, t: 1, worker: 'w' },
      exited('w', 1, null),
    ]);
    expect(lines).toContain("w stderr: Error: read ECONNRESET — Emitted 'error' event on Client instance at:");
  });

  it('merges the same error from many workers of a group into one line with a count', () => {
    const history: HistoryEntry[] = Array.from({ length: 20 }, (_, i) => ({
      kind: 'worker.error',
      message: 'SqliteError: database is locked',
      t: i,
      worker: `busy-${i + 1}`,
    }));
    expect(workerEvidence(history)).toEqual(['busy-1: SqliteError: database is locked (and 19 more like it)']);
  });
});
