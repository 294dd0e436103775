import { readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDir } from '../helpers/temp-db.js';
import { runScenario } from '../../harness/run/scenario.js';
import { scenarioSchema, type ScenarioInput } from '../../harness/schema.js';
import { join } from 'node:path';
import type { HistoryEntry } from '../../harness/workers/protocol.js';

const base = { title: 't', purpose: 'p', seedTest: '—', procedure: ['p'] };

function readHistory(file: string): HistoryEntry[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as HistoryEntry);
}

/** Small scenarios that exercise fault injectors and the vacuity guard end to end, with real processes. */
describe('fault injectors and the vacuity guard', () => {
  const tempDir = useTempDir();
  // A failed scenario keeps its run folder for inspection; these fail on purpose, so theirs go after the test.
  const kept: string[] = [];
  afterEach(() => {
    for (const dir of kept.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const run = async (input: ScenarioInput) => {
    const result = await runScenario(scenarioSchema.parse(input), { seed: 3, runsDir: join(tempDir(), 'runs') });
    kept.push(result.runDir);
    return result;
  };

  /** A holder of a 10-minute lease, a sweeper, and the holder's lease ended for the sweeper once it is held. */
  const leaseEnded = (id: string, fault: { target: string; seenBy?: string }): ScenarioInput => ({
    ...base,
    id,
    workers: [
      { name: 'holder', workload: 'lease-holder', params: { itemId: 'job', leaseDurationMs: 600_000 } },
      { name: 'sweeper', workload: 'sweeper', params: {} },
    ],
    faults: [{ kind: 'lease-expiry', ...fault, inject: { after: { kind: 'lease.acquired', worker: 'holder' } } }],
    commands: [
      { to: 'sweeper', send: { cmd: 'sweep' }, on: { after: { kind: 'fault.injected', worker: 'harness' } } },
      { to: 'holder', send: { cmd: 'renew' }, on: { after: { kind: 'sweep.finished' } } },
      { to: 'holder', send: { cmd: 'stop' }, on: { after: { kind: 'command.done' } } },
    ],
    criteria: [
      {
        id: 'recovered',
        description: 'd',
        seed: '—',
        ours: '1',
        check: { check: 'event-field', kind: 'sweep.finished', field: 'recovered', equals: 1 },
      },
    ],
    timeoutMs: 20_000,
  });

  it('lease-expiry on SQLite moves the clock of whoever must see the lease ended just past it: the sweep reclaims it', async () => {
    const result = await run(leaseEnded('lease-expiry-fault', { target: 'holder', seenBy: 'sweeper' }));
    expect(result.state === 'failed' ? result.reasons : []).toEqual([]);
    expect(result.vacuity).toMatchObject([
      {
        fault: 'lease-expiry',
        target: 'holder',
        fired: true,
        detail: expect.stringMatching(
          /^1 lease\(s\) of holder expired for sweeper: their clocks moved past /,
        ) as string,
      },
    ]);
    // Ten minutes ahead, and no further than the lease: the sweeper's clock, not the holder's, was moved.
    const skew = readHistory(result.historyFile).find((e) => e.kind === 'clock.skewed');
    expect(skew).toMatchObject({ worker: 'sweeper' });
    expect(skew?.kind === 'clock.skewed' && skew.offsetMs).toBeGreaterThan(590_000);
    expect(skew?.kind === 'clock.skewed' && skew.offsetMs).toBeLessThan(610_000);
    expect(result.criteria[0]).toMatchObject({ valid: true });
  });

  it('fails a lease-expiry that ended nothing: a target holding no lease, or no one to see it ended', async () => {
    const noLease = await run(leaseEnded('lease-expiry-no-lease', { target: 'sweeper', seenBy: 'sweeper' }));
    expect(noLease.state).toBe('failed');
    expect(noLease.vacuity).toMatchObject([{ fault: 'lease-expiry', fired: false }]);
    expect(noLease.criteria[0]).toMatchObject({ valid: false });

    const unseen = await run(leaseEnded('lease-expiry-unseen', { target: 'holder' }));
    expect(unseen.state).toBe('failed');
    expect(unseen.vacuity).toMatchObject([
      {
        fault: 'lease-expiry',
        fired: false,
        detail: expect.stringContaining('nobody (no live worker of seenBy)') as string,
      },
    ]);
  });

  it('fails a scenario whose fault never took effect, even when every check passes', async () => {
    const result = await run({
      ...base,
      id: 'vacuous',
      workers: [{ name: 'writer', workload: 'checkpoint-writer', params: { count: 5 } }],
      // The writer finishes after 5 commits: the 50th never comes, so the kill never happens.
      faults: [{ kind: 'sigkill', target: 'writer', inject: { after: { kind: 'checkpoint.committed', count: 50 } } }],
      criteria: [{ id: 'integrity', description: 'd', seed: '—', ours: 'ok', check: { check: 'integrity-ok' } }],
    });
    expect(result.state).toBe('failed');
    expect(result.criteria.every((c) => c.valid === true)).toBe(true);
    expect(result.state === 'failed' && result.reasons.join('\n')).toMatch(
      /fault did not fire: sigkill on writer: no worker of "writer" was killed by SIGKILL/,
    );
  });

  it('fires a fault at a fixed time and fails a scenario that outlives its timeout, leaving no process behind', async () => {
    const result = await run({
      ...base,
      id: 'timed',
      workers: [{ name: 'holder', workload: 'lease-holder', params: { itemId: 'job', leaseDurationMs: 1000 } }],
      faults: [{ kind: 'pause', target: 'holder', inject: { atMs: 0 } }],
      criteria: [{ id: 'integrity', description: 'd', seed: '—', ours: 'ok', check: { check: 'integrity-ok' } }],
      timeoutMs: 1500,
    });
    expect(result.state === 'failed' && result.reasons.join('\n')).toMatch(/timed out after 1500 ms/);
    expect(result.vacuity[0]?.fired).toBe(true);
    expect(result.survivors).toEqual([]);
    expect(result.workers[0]?.signal).toBe('SIGKILL');
  });
});
