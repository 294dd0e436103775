import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test/helpers/temp-db.js';
import { loadScenarios } from './load.js';

const valid = {
  id: 'ok-one',
  title: 'A valid scenario',
  purpose: 'p',
  seedTest: 'T::t',
  procedure: ['do it'],
  workers: [{ name: 'writer', workload: 'checkpoint-writer', params: { count: 1 } }],
  criteria: [{ id: 'c', description: 'd', seed: '—', ours: 'ok', check: { check: 'integrity-ok' } }],
};

describe('loadScenarios: did you mean', () => {
  const tempDir = useTempDir();

  async function problems(declaration: unknown): Promise<string> {
    const root = tempDir();
    mkdirSync(join(root, 'scenarios/chaos'), { recursive: true });
    writeFileSync(join(root, 'scenarios/chaos/x.ts'), `export default ${JSON.stringify(declaration)};\n`);
    return ((await loadScenarios(root).catch((e: unknown) => e)) as Error).message;
  }

  it('suggests the closest key for an unknown one', async () => {
    expect(await problems({ ...valid, timeout: 1000 })).toMatch(/"timeout".*did you mean "timeoutMs"\?/);
  });

  it('names a misspelled workload parameter as the cause of the missing one', async () => {
    const message = await problems({ ...valid, workers: [{ ...valid.workers[0], params: { cout: 1 } }] });
    expect(message).toMatch(/workers\[0\]\.params\.count: .*did you mean "count" instead of "cout"\?/);
  });

  it('suggests the closest workload, check name, fault kind, event kind and worker group', async () => {
    const message = await problems({
      ...valid,
      workers: [{ ...valid.workers[0] }, { name: 'other', workload: 'checkpoint-writr', params: { count: 1 } }],
      faults: [
        { kind: 'sigkil', target: 'writer', inject: 'start' },
        { kind: 'pause', target: 'writers', inject: 'start' },
      ],
      commands: [{ to: 'writer', send: { cmd: 'go' }, on: { after: { kind: 'worker.redy' } } }],
      criteria: [{ ...valid.criteria[0], check: { check: 'integrity-okk' } }],
    });
    expect(message).toMatch(/workers\[1\]\.workload: .*did you mean "checkpoint-writer"\?/);
    expect(message).toMatch(/criteria\[0\]\.check\.check: .*did you mean "integrity-ok"\?/);
    expect(message).toMatch(/faults\[0\]\.kind: .*did you mean "sigkill"\?/);
    expect(message).toMatch(/commands\[0\]\.on: .*did you mean "worker\.ready"\?/);
  });

  it('suggests the closest alert name and trigger form inside a union', async () => {
    const message = await problems({
      ...valid,
      workers: [{ ...valid.workers[0], start: 'strat' }],
      criteria: [{ ...valid.criteria[0], alert: 'llm_cache_hitrate' }],
    });
    expect(message).toMatch(/criteria\[0\]\.alert: .*did you mean "llm_cache_hit_rate"\?/);
    expect(message).toMatch(/workers\[0\]\.start: .*did you mean "start"\?/);
  });

  it('suggests the closest worker group for a fault target', async () => {
    expect(await problems({ ...valid, faults: [{ kind: 'pause', target: 'writers', inject: 'start' }] })).toMatch(
      /faults\[0\]\.target: "writers" is not a worker group.*did you mean "writer"\?/,
    );
  });

  it('suggests nothing when no name is close', async () => {
    expect(await problems({ ...valid, zzzzzzzz: 1 })).not.toMatch(/did you mean/);
  });
});
