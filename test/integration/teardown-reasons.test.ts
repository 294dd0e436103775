import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workerEvidence } from '../../harness/report/worker-evidence.js';
import { runScenario } from '../../harness/run/scenario.js';
import { scenarioSchema, type ScenarioInput } from '../../harness/schema.js';
import type { HistoryEntry } from '../../harness/workers/protocol.js';
import { useTempDir } from '../helpers/temp-db.js';

const base = { title: 't', purpose: 'p', seedTest: '—', procedure: ['p'] };
const integrity: ScenarioInput['criteria'] = [
  { id: 'integrity', description: 'd', seed: '—', ours: 'ok', check: { check: 'integrity-ok' } },
];

const history = (file: string): HistoryEntry[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as HistoryEntry);

/** What a failed scenario says about its workers: a group that never started, a kill the harness sent itself. */
describe('why a scenario failed, told by what the harness did', () => {
  const tempDir = useTempDir();
  const kept: string[] = [];
  afterEach(() => {
    for (const dir of kept.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const run = async (input: ScenarioInput) => {
    const result = await runScenario(scenarioSchema.parse(input), { seed: 3, runsDir: join(tempDir(), 'runs') });
    kept.push(result.runDir);
    return result;
  };

  it('names a worker group that never started, with the trigger it waited for', async () => {
    const result = await run({
      ...base,
      id: 'never-started',
      workers: [
        { name: 'first', workload: 'checkpoint-writer', params: { count: 3 } },
        {
          name: 'resumer',
          workload: 'checkpoint-writer',
          params: { count: 3 },
          // "first" exits with code 0: this never comes.
          start: { after: { kind: 'worker.exited', worker: 'first', where: { exitCode: 1 } } },
        },
      ],
      criteria: integrity,
    });
    expect(result.workers.map((w) => w.group)).toEqual(['first']);
    expect(result.state).toBe('failed');
    expect(result.state === 'failed' ? result.reasons : []).toContain(
      'worker group "resumer" never started: it waited for worker.exited of "first" with exitCode 1 (seen 0 of 1)',
    );
  });

  it('attributes a SIGKILL the harness sent at a timeout to the timeout, not to "no fault"', async () => {
    const result = await run({
      ...base,
      id: 'reaped-at-timeout',
      // Holds its lease until told to stop, which nobody does.
      workers: [{ name: 'holder', workload: 'lease-holder', params: { itemId: 'job', leaseDurationMs: 60_000 } }],
      criteria: integrity,
      timeoutMs: 1500,
    });
    expect(result.state === 'failed' ? result.reasons.join('\n') : '').toMatch(/timed out after 1500 ms/);
    const pid = result.workers[0]?.pid;
    expect(workerEvidence(history(result.historyFile))).toEqual([
      `holder (pid ${pid}) was killed by SIGKILL, which the harness sent at teardown: the scenario timed out after 1500 ms`,
    ]);
  });
});
