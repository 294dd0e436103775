import { describe, expect, it } from 'vitest';
import type { BenchResult, ScenarioResult } from '../result.js';
import { renderMarkdown } from './markdown.js';
import type { ResultsFile } from './results-file.js';

const result: ScenarioResult = {
  id: 'kill9-recovery',
  title: 'Kill -9 recovery',
  category: 'chaos',
  seedTest: 'TestScenario1_Kill9Recovery::test_kill_9_recovery',
  purpose: 'p',
  procedure: ['step one', 'step two'],
  seed: 7,
  durationMs: 1234,
  criteria: [
    { id: 'present', kind: 'gate', description: 'Acknowledged present', seed: 'survive', ours: '100 %', valid: true, measured: '10/10' },
    { id: 'fast', kind: 'target', description: 'Fast enough', seed: '—', ours: '≤ 1 ms', valid: false, measured: '2 ms' },
  ],
  faults: [{ t: 100, fault: 'sigkill', target: 'writer', action: 'injected', detail: 'SIGKILL sent to writer | pid 1' }],
  vacuity: [{ fault: 'sigkill', target: 'writer', fired: true, detail: 'died of SIGKILL' }],
  workers: [{ id: 'writer', group: 'writer', pid: 1, exitCode: null, signal: 'SIGKILL', peakRssKb: 51200 }],
  survivors: [],
  historyFile: '/somewhere/reports/runs/kill9-recovery/history.jsonl',
  runDir: '/tmp/x',
  state: 'passed',
};

function file(overrides: Partial<ResultsFile> = {}): ResultsFile {
  return {
    schema: 'agentos-chaos/results@1',
    generatedAt: '2026-01-01T00:00:00.000Z',
    seed: 7,
    selection: { only: null, category: null },
    declared: { chaos: 7, bench: 5, stress: 4 },
    environment: { commit: 'abc1234', dirty: false, node: 'v20', v8: '11', sqlite: '3.53', cpu: 'cpu', cores: 2, memoryGiB: 24, os: 'linux' },
    durationMs: 5000,
    harnessPeakRssKb: 100 * 1024,
    results: [result],
    missing: [],
    ...overrides,
  };
}

describe('renderMarkdown', () => {
  it('summarises, lists missed targets without failing, and renders the criteria, fault log and vacuity guard', () => {
    const md = renderMarkdown(file(), []);
    expect(md).toContain('**Verdict: ✅ all 1/1 declared tests passed.**');
    expect(md).toContain('| Chaos scenarios | 7 | 1 | 1 | 0 | 0 | 0/1 |');
    expect(md).toContain('- kill9-recovery: Fast enough — ≤ 1 ms, measured 2 ms');
    expect(md).toContain('| Fast enough | — | ≤ 1 ms | 2 ms | ⚠️ target missed |');
    expect(md).toContain('| Acknowledged present | survive | 100 % | 10/10 | ✅ pass |');
    expect(md).toContain('SIGKILL sent to writer \\| pid 1');
    expect(md).toContain('**Vacuity guard.** ✅ sigkill on writer: died of SIGKILL');
    expect(md).toContain('History: `reports/runs/kill9-recovery/history.jsonl`');
    expect(md).toMatch(/chaos\/kill9-recovery \(TestScenario1_Kill9Recovery::test_kill_9_recovery\) PASSED/);
  });

  it('does not call a run with missing results all passed', () => {
    const md = renderMarkdown(file({ missing: ['concurrent-checkpoints'] }), []);
    expect(md).toContain('**Verdict: ❌ 1/2 declared tests passed.**');
    expect(md).toContain('**No result** (interrupted or timed out): concurrent-checkpoints.');
  });

  it('names the run folder a failed scenario keeps, and none for a failed benchmark (it keeps none)', () => {
    const failed: ScenarioResult = { ...result, state: 'failed', reasons: ['get-last: invalid'], runDir: '/tmp/agentos-chaos-kill9-recovery-abc' };
    expect(renderMarkdown(file({ results: [failed] }), [])).toContain('- Run folder kept for inspection: `/tmp/agentos-chaos-kill9-recovery-abc`');
    const bench: BenchResult = {
      ...failed,
      category: 'bench',
      measurements: [],
      options: { timeMs: 700, warmupMs: 150, iterations: 1000 },
    };
    expect(renderMarkdown(file({ results: [bench] }), [])).not.toContain('Run folder kept');
  });

  it('shows a test that cannot run here as not applicable, counted neither as passed nor as failed', () => {
    const na: ScenarioResult = { ...result, id: 'power-loss', criteria: [], state: 'not-applicable', reason: 'power-loss: no FUSE: /dev/fuse is missing' };
    const md = renderMarkdown(file({ results: [result, na] }), []);
    expect(md).toContain('**Verdict: ✅ all 1/1 applicable declared tests passed; 1 not applicable here.**');
    expect(md).toContain('**Not applicable here:** power-loss: no FUSE: /dev/fuse is missing. It was not run, and it is not counted as passed.');
    expect(md).toContain('| Chaos scenarios | 7 | 2 | 1 | 0 | 1 | 0/1 |');
    expect(md).toMatch(/chaos\/power-loss \(.*\) NOT-APPLICABLE/);
  });
});
