import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../../harness/load.js';
import type { ScenarioResult } from '../../harness/result.js';
import { runScenario } from '../../harness/run/scenario.js';
import { pgUrl } from '../../harness/postgres/pg-server.js';
import { scenarioSchema } from '../../harness/schema.js';
import { builtinSubject } from '../../harness/load-subjects.js';
import { useTempDir } from '../helpers/temp-db.js';
import { pgSkipReason } from '../helpers/temp-pg.js';

const declared = await loadScenarios();

describe('scenarios against other subjects', () => {
  const tempDir = useTempDir();

  async function run(id: string, subject: string): Promise<ScenarioResult> {
    const d = declared.find((x) => x.id === id);
    if (d?.category !== 'chaos') throw new Error(`${id} is not a declared chaos scenario`);
    return runScenario(d.scenario, {
      seed: 11,
      subject: await builtinSubject(subject),
      pgUrl: pgUrl(),
      runsDir: join(tempDir(), 'runs'),
    });
  }

  it('runs a checkpoint scenario on LangGraph’s SqliteSaver as a peer, leaving out the criteria it cannot answer', async () => {
    const result = await run('kill9-recovery', 'langgraph-sqlite');
    expect(result).toMatchObject({ subject: 'langgraph-sqlite', peer: true, state: 'passed' });
    expect(result.criteria.map((c) => c.id)).toEqual(['acknowledged-present', 'integrity']);
    expect(result.notApplicable).toEqual([
      'get-last: last-checkpoint-is-latest-acknowledged needs sequence',
      'gap-free: sequence-gap-free needs sequence',
    ]);
  });

  it('reports a scenario that needs a capability the subject lacks as not applicable, never as passed', async () => {
    const result = await run('kill-mid-tool-call', 'langgraph-sqlite');
    expect(result.state).toBe('not-applicable');
    expect(result.state === 'not-applicable' ? result.reason : '').toContain('langgraph-sqlite lacks tools');
  });

  it('reports a scenario whose fault strikes this layer’s SQLite file as not applicable elsewhere, whatever it requires', async () => {
    const scenario = scenarioSchema.parse({
      id: 'backup-elsewhere',
      title: 't',
      purpose: 'p',
      seedTest: '—',
      procedure: ['p'],
      workers: [{ name: 'writer', workload: 'checkpoint-writer', params: { count: 5 } }],
      faults: [{ kind: 'backup', inject: { after: { kind: 'checkpoint.committed', count: 2 } } }],
      criteria: [{ id: 'integrity', description: 'd', seed: '—', ours: 'ok', check: { check: 'integrity-ok' } }],
      requires: ['checkpoints'],
    });
    const result = await runScenario(scenario, {
      seed: 1,
      subject: await builtinSubject('langgraph-sqlite'),
      runsDir: join(tempDir(), 'runs'),
    });
    expect(result.state).toBe('not-applicable');
    expect(result.state === 'not-applicable' ? result.reason : '').toBe(
      'backup needs sqlite-file: langgraph-sqlite lacks it',
    );
  });

  describe.skipIf(pgSkipReason !== undefined)('on PostgreSQL', () => {
    it('ends a paused holder’s lease by the server’s clock: the sweep reclaims it and the holder’s later writes are refused', async () => {
      const result = await run('stale-holder-fenced', 'agentos-postgres');
      expect(result.state, JSON.stringify(result.criteria)).toBe('passed');
      expect(result.vacuity.find((v) => v.fault === 'lease-expiry')?.detail).toBe(
        "1 lease(s) of holder expired by the server's clock",
      );
      expect(result.criteria.find((c) => c.id === 'refusals')?.measured).toBe('3 lease.lost');
    });

    it('resumes a killed task runner’s task after its lease ended by the server’s clock', async () => {
      const result = await run('full-e2e-recovery', 'agentos-postgres');
      expect(result.state, JSON.stringify(result.criteria)).toBe('passed');
      expect(result.criteria.find((c) => c.id === 'no-rerun')?.measured).toMatch(/^8 checkpoints of 8 steps/);
    });

    it('keeps every acknowledged checkpoint of a writer killed with SIGKILL, gap-free', async () => {
      const result = await run('kill9-recovery', 'agentos-postgres');
      expect(result.state, JSON.stringify(result.criteria)).toBe('passed');
      expect(result.criteria.map((c) => c.id)).toEqual(['acknowledged-present', 'get-last', 'gap-free', 'integrity']);
    });

    it('refuses the writes a partitioned lease holder sent before the takeover, when they arrive after it', async () => {
      const result = await run('pg-partitioned-holder', 'agentos-postgres');
      expect(result.state, JSON.stringify(result.criteria)).toBe('passed');
      expect(result.criteria.find((c) => c.id === 'no-stale-writes')?.measured).toMatch(/, 0 under a stale epoch/);
      expect(result.criteria.find((c) => c.id === 'effect-once')?.measured).toMatch(/^1\/1 exactly once/);
    });

    it('resumes a task whose runner was killed, from another runner, once its lease ends by the server’s clock', async () => {
      const result = await run('pg-runner-killed', 'agentos-postgres');
      expect(result.state, JSON.stringify(result.criteria)).toBe('passed');
      expect(result.criteria.find((c) => c.id === 'in-order-once')?.measured).toMatch(/^8 checkpoints of 8 steps/);
    });

    it('answers every repeated request from the LLM cache on PostgreSQL, faster than generating it', async () => {
      const result = await run('llm-cache-stress', 'agentos-postgres');
      expect(result.state, JSON.stringify(result.criteria)).toBe('passed');
      expect(result.criteria.find((c) => c.id === 'second-pass-hits')?.measured).toBe('1000');
    });

    it('reports tool calls cut off by a crash in doubt and runs none of them twice, on PostgreSQL', async () => {
      const result = await run('kill-mid-tool-call', 'agentos-postgres');
      expect(result.state, JSON.stringify(result.criteria)).toBe('passed');
      expect(result.criteria.find((c) => c.id === 'exactly-once')?.measured).toMatch(/^24\/24 exactly once/);
    });
  });
});
