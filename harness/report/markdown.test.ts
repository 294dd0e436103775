import { describe, expect, it } from 'vitest';
import type { LoadedScenario } from '../load.js';
import type { BenchMeasurement, BenchResult, ScenarioResult } from '../result.js';
import { scenarioSchema } from '../schema.js';
import type { HistoryEntry } from '../workers/protocol.js';
import { renderMarkdown, renderReport } from './markdown.js';
import { fixtureDeclared } from './report-fixture.js';
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
    {
      id: 'present',
      kind: 'gate',
      description: 'Acknowledged present',
      seed: 'survive',
      ours: '100 %',
      valid: true,
      measured: '10/10',
    },
    {
      id: 'fast',
      kind: 'target',
      description: 'Fast enough',
      seed: '—',
      ours: '≤ 1 ms',
      valid: false,
      measured: '2 ms',
    },
  ],
  faults: [
    { t: 100, fault: 'sigkill', target: 'writer', action: 'injected', detail: 'SIGKILL sent to writer | pid 1' },
  ],
  vacuity: [{ fault: 'sigkill', target: 'writer', fired: true, detail: 'died of SIGKILL' }],
  workers: [{ id: 'writer', group: 'writer', pid: 1, exitCode: null, signal: 'SIGKILL', peakRssKb: 51200 }],
  survivors: [],
  historyFile: '/somewhere/reports/runs/kill9-recovery/history.jsonl',
  runDir: '/tmp/x',
  state: 'passed',
};

/** No history and no earlier benchmark files: the report from the results alone. */
const none = { histories: new Map(), benchRuns: [] };

function file(overrides: Partial<ResultsFile> = {}): ResultsFile {
  return {
    schema: 'agentos-chaos/results@1',
    generatedAt: '2026-01-01T00:00:00.000Z',
    seed: 7,
    selection: { only: null, category: null },
    declared: { chaos: 7, bench: 5, stress: 4 },
    environment: {
      commit: 'abc1234',
      dirty: false,
      node: 'v20',
      v8: '11',
      sqlite: '3.53',
      cpu: 'cpu',
      cores: 2,
      memoryGiB: 24,
      os: 'linux',
    },
    durationMs: 5000,
    harnessPeakRssKb: 100 * 1024,
    results: [result],
    missing: [],
    ...overrides,
  };
}

describe('renderMarkdown', () => {
  it('summarises, lists missed targets without failing, and renders the criteria, fault log and vacuity guard', () => {
    const md = renderMarkdown(file(), [], none);
    expect(md).toContain('**Verdict: ✅ all 1/1 declared tests passed.**');
    expect(md).toContain('| Chaos scenarios | 7 | 1 | 1 | 0 | 0 | 0/1 |');
    expect(md).toContain('- [Kill -9 recovery](#test-kill9-recovery): Fast enough — target ≤ 1 ms, measured 2 ms');
    expect(md).toContain('| Fast enough | — | ≤ 1 ms | 2 ms | ⚠️ target missed |');
    expect(md).toContain('| Acknowledged present | survive | 100 % | 10/10 | ✅ pass |');
    expect(md).toContain('SIGKILL sent to writer \\| pid 1');
    expect(md).toContain('- ✅ fault 1, sigkill on writer: died of SIGKILL');
    expect(md).toContain('History: `reports/runs/kill9-recovery/history.jsonl`');
    expect(md).toMatch(/chaos\/kill9-recovery \(TestScenario1_Kill9Recovery::test_kill_9_recovery\) PASSED/);
  });

  it('does not call a run with missing results all passed', () => {
    const md = renderMarkdown(file({ missing: ['concurrent-checkpoints'] }), [], none);
    expect(md).toContain('**Verdict: ❌ 1/2 declared tests passed.**');
    expect(md).toContain('**❌ No result** (interrupted or timed out): concurrent-checkpoints.');
  });

  it('names the run folder a failed scenario keeps, and none for a failed benchmark (it keeps none)', () => {
    const failed: ScenarioResult = {
      ...result,
      state: 'failed',
      reasons: ['get-last: invalid'],
      runDir: '/tmp/agentos-chaos-kill9-recovery-abc',
    };
    expect(renderMarkdown(file({ results: [failed] }), [], none)).toContain(
      'Run folder kept for inspection: `/tmp/agentos-chaos-kill9-recovery-abc`',
    );
    const bench: BenchResult = {
      ...failed,
      category: 'bench',
      measurements: [],
      options: { timeMs: 700, warmupMs: 150, iterations: 1000 },
    };
    expect(renderMarkdown(file({ results: [bench] }), [], none)).not.toContain('Run folder kept');
  });

  it('shows a test that cannot run here as not applicable, counted neither as passed nor as failed', () => {
    const na: ScenarioResult = {
      ...result,
      id: 'power-loss',
      criteria: [],
      state: 'not-applicable',
      reason: 'power-loss: no FUSE: /dev/fuse is missing',
    };
    const md = renderMarkdown(file({ results: [result, na] }), [], none);
    expect(md).toContain('**Verdict: ✅ all 1/1 applicable declared tests passed; 1 not applicable here.**');
    expect(md).toContain(
      '**Not applicable here:** power-loss: no FUSE: /dev/fuse is missing. It was not run, and it is not counted as passed.',
    );
    expect(md).toContain('| Chaos scenarios | 7 | 1 | 1 | 0 | 1 | 0/1 |');
    expect(md).toMatch(/chaos\/power-loss \(.*\) NOT-APPLICABLE/);
  });
});

/** A failed kill-mid-tool-call run as the runner reports it, and the history that explains it. */
const failedRun: ScenarioResult = {
  ...result,
  id: 'kill-mid-tool-call',
  title: 'A worker killed while its tool calls run',
  criteria: [
    {
      id: 'once',
      kind: 'gate',
      description: 'Side effects counted in files',
      seed: '—',
      ours: 'each command exactly once',
      valid: false,
      measured: '3/6 exactly once, 0 more than once, 3 never',
    },
    {
      id: 'integrity',
      kind: 'gate',
      description: 'PRAGMA integrity_check',
      seed: '—',
      ours: 'ok',
      valid: true,
      measured: 'ok',
    },
  ],
  faults: [
    { t: 1000, fault: 'sigkill', target: 'first', action: 'armed', detail: 'fires on event #2 of its trigger' },
    { t: 1700, fault: 'sigkill', target: 'first', action: 'injected', detail: 'SIGKILL sent to first (pid 11)' },
  ],
  vacuity: [{ fault: 'sigkill', target: 'first', fired: true, detail: '1 worker(s) of "first" died of SIGKILL' }],
  workers: [
    { id: 'first', group: 'first', pid: 11, exitCode: null, signal: 'SIGKILL', peakRssKb: 51200 },
    { id: 'second', group: 'second', pid: 12, exitCode: 1, signal: null, peakRssKb: 51200 },
  ],
  historyFile: '/somewhere/reports/runs/kill-mid-tool-call/history.jsonl',
  state: 'failed',
  reasons: ['once: invalid — measured 3/6 exactly once, 0 more than once, 3 never'],
};

const failedHistory: HistoryEntry[] = [
  { kind: 'worker.started', pid: 11, group: 'first', t: 1000, worker: 'first' },
  { kind: 'tool.batch', pass: 1, batch: 1, calls: 8, t: 1200, worker: 'first' },
  { kind: 'tool.batch', pass: 1, batch: 2, calls: 8, t: 1690, worker: 'first' },
  {
    kind: 'fault.injected',
    fault: 'sigkill',
    target: 'first',
    detail: 'SIGKILL sent to first (pid 11)',
    affected: 1,
    t: 1700,
    worker: 'harness',
  },
  { kind: 'worker.exited', exitCode: null, signal: 'SIGKILL', peakRssKb: 51200, t: 1701, worker: 'first' },
  { kind: 'worker.started', pid: 12, group: 'second', t: 1710, worker: 'second' },
  {
    kind: 'worker.error',
    message:
      'InDoubtToolCallError: tool call 9 started but has no result; resolve it with forget()\n    at ToolLedger.run',
    t: 1800,
    worker: 'second',
  },
  {
    kind: 'worker.stderr',
    text: 'InDoubtToolCallError: tool call 9 started but has no result; resolve it with forget()',
    t: 1801,
    worker: 'second',
  },
  { kind: 'worker.exited', exitCode: 1, signal: null, peakRssKb: 51200, t: 1802, worker: 'second' },
];

describe('renderMarkdown: failures first', () => {
  const sources = { histories: new Map([['kill-mid-tool-call', failedHistory]]), benchRuns: [] };

  it('names every failed test at the top, with a link to its section, before the executive summary', () => {
    const md = renderMarkdown(file({ results: [result, failedRun] }), [], sources);
    const top = md.slice(0, md.indexOf('## Executive summary'));
    expect(top).toContain('[A worker killed while its tool calls run](#test-kill-mid-tool-call)');
    expect(top).toContain('Side effects counted in files');
    expect(md).toContain('<a id="test-kill-mid-tool-call"></a>');
  });

  it('lists every alert that would fire at the top, linked to the readiness table', () => {
    const declared: LoadedScenario = {
      category: 'stress',
      file: 'scenarios/stress/01-concurrent-tasks.ts',
      id: 'concurrent-tasks-100',
      scenario: scenarioSchema.parse({
        id: 'concurrent-tasks-100',
        title: '100 concurrent tasks',
        purpose: 'p',
        seedTest: 'T::t',
        procedure: ['go'],
        workers: [{ name: 'busy', workload: 'checkpoint-writer', params: { count: 5 } }],
        criteria: [
          {
            id: 'latency',
            description: 'Commit latency',
            seed: '—',
            ours: 'P99 ≤ 1 s',
            kind: 'target',
            alert: 'checkpoint_creation_latency_p95',
            check: { check: 'commit-latency', percentile: 99, maxMs: 1000 },
          },
        ],
      }),
    };
    const stress: ScenarioResult = {
      ...result,
      id: 'concurrent-tasks-100',
      title: '100 concurrent tasks',
      category: 'stress',
      criteria: [
        {
          id: 'latency',
          kind: 'target',
          description: 'Commit latency',
          seed: '—',
          ours: 'P99 ≤ 1 s',
          valid: true,
          measured: 'P99 285.9 ms',
          data: { p95: 103.4, p99: 285.9 },
        },
      ],
    };
    const md = renderMarkdown(file({ results: [stress] }), [declared], sources);
    const top = md.slice(0, md.indexOf('## Executive summary'));
    expect(top).toMatch(
      /Alerts that would fire.*\(#production-readiness\)[\s\S]*checkpoint_creation_latency_p95.*103\.4 ms.*would alert/,
    );
    expect(md).toContain('<a id="production-readiness"></a>');
  });

  it('names the invariant violations of the campaign at the top, with the shrunk replay line and a link to the Invariants section', () => {
    const campaign = {
      seed: 7,
      runs: 30,
      mutant: null,
      durationMs: 1000,
      verdicts: { valid: 29, violation: 1, vacuous: 0, unknown: 0, error: 0 },
      kills: { total: 30, byPoint: {} },
      operations: 100,
      checkers: {},
      interrupted: false,
      errors: [],
      violations: [
        {
          reasons: ['an acknowledged checkpoint is missing'],
          repro: 'pnpm chaos --replay \'{"a":1}\'',
          shrunk: { repro: "pnpm chaos --replay '{}'", reasons: [], attempts: 3 },
        },
      ],
    } as unknown as NonNullable<ResultsFile['campaign']>;
    const md = renderMarkdown(file({ campaign }), [], none);
    const top = md.slice(0, md.indexOf('## Executive summary'));
    expect(top).toContain(
      '**Verdict: ❌ all 1/1 declared tests passed; the fault campaign found 1 violation(s) in 30 runs (1.00 s).**',
    );
    expect(top).toContain('Invariant violations in the fault campaign (1 of 30 runs)');
    expect(top).toContain("- an acknowledged checkpoint is missing. Replay: `pnpm chaos --replay '{}'`");
    expect(md).toContain('<a id="invariants"></a>');
  });

  it('gives the campaign its own time beside the declared tests’ and the whole run’s', () => {
    const campaign = {
      seed: 7,
      runs: 30,
      mutant: null,
      durationMs: 15_500,
      verdicts: { valid: 30, violation: 0, vacuous: 0, unknown: 0, error: 0 },
      kills: { total: 30, byPoint: {} },
      operations: 100,
      checkers: {},
      interrupted: false,
      errors: [],
      violations: [],
    } satisfies NonNullable<ResultsFile['campaign']>;
    const md = renderMarkdown(file({ durationMs: 109_300, campaign }), [], none);
    expect(md).toContain('Total run time 124.80 s (declared tests 109.30 s, fault campaign 15.50 s).');
    expect(md).toContain(
      '**Verdict: ✅ all 1/1 declared tests passed; the fault campaign found no violation in 30 runs (15.50 s).**',
    );
  });

  it('explains why with the criterion description, the worker error and exit, and the replay command — not the internal id', () => {
    const md = renderMarkdown(file({ results: [failedRun] }), [], sources);
    const why = md.slice(md.indexOf('**Why it failed.**'), md.indexOf('**Criteria.**'));
    expect(why).toContain('Side effects counted in files');
    expect(why).not.toMatch(/once: invalid/);
    expect(why).toContain('InDoubtToolCallError: tool call 9 started but has no result; resolve it with forget()');
    expect(why).toMatch(/second.*exited with code 1/);
    expect(why).toContain('`pnpm chaos --only kill-mid-tool-call --seed 7`');
  });

  it('gives fault times relative to the scenario start (its first event), and one vacuity line per fault', () => {
    const twoSkews: ScenarioResult = {
      ...failedRun,
      // A fault on a timed trigger logs no 'armed' entry: its injection is the first entry of the fault log.
      faults: [
        { t: 1700, fault: 'sigkill', target: 'first', action: 'injected', detail: 'SIGKILL sent to first (pid 11)' },
      ],
      vacuity: [
        {
          fault: 'clock-skew',
          target: 'sweeper',
          fired: true,
          detail: '2 worker(s) of "sweeper" confirmed a clock offset of 2000, 4000 ms',
        },
        {
          fault: 'clock-skew',
          target: 'sweeper',
          fired: true,
          detail: '2 worker(s) of "sweeper" confirmed a clock offset of 2000, 4000 ms',
        },
      ],
    };
    const md = renderMarkdown(file({ results: [twoSkews] }), [], sources);
    expect(md).toMatch(/\| 700 \| sigkill \| first \| injected \|/);
    const vacuity = md.slice(md.indexOf('**Vacuity guard.**')).split('\n\n').slice(0, 2).join('\n\n');
    expect(vacuity.match(/confirmed a clock offset of 2000, 4000 ms/g)).toHaveLength(1);
    expect(vacuity.match(/^- /gm)).toHaveLength(2);
  });
});

/** The chart files a report links, in order. */
function chartLinks(md: string): string[] {
  return [...md.matchAll(/!\[[^\]]*\]\((charts\/[^)]+\.svg)\)/g)].map((m) => m[1]!);
}

function summary(p50: number): BenchMeasurement['summary'] {
  return { n: 1000, mean: p50 * 1.2, p50, p95: p50 * 2, p99: p50 * 5, max: p50 * 20, insufficient: [] };
}

const benchRun: BenchResult = {
  ...result,
  id: 'checkpoint-creation',
  title: 'Checkpoint creation latency',
  category: 'bench',
  criteria: [
    {
      id: 'p50-normal',
      kind: 'target',
      description: 'P50, synchronous=NORMAL',
      seed: '—',
      ours: '≤ 0.06 ms',
      valid: true,
      measured: 'P50 0.0161 ms',
    },
    {
      id: 'p50-full',
      kind: 'target',
      description: 'P50, synchronous=FULL',
      seed: '—',
      ours: '≤ 0.5 ms',
      valid: false,
      measured: 'P50 0.6 ms',
    },
  ],
  measurements: [
    {
      variant: 'normal',
      subject: 'checkpoint-commit',
      durability: 'normal',
      peer: false,
      summary: summary(0.0161),
      opsPerSec: 50000,
      samples: [],
    },
    {
      variant: 'full',
      subject: 'checkpoint-commit',
      durability: 'full',
      peer: false,
      summary: summary(0.6),
      opsPerSec: 1500,
      samples: [],
    },
  ],
  options: { timeMs: 700, warmupMs: 150, iterations: 1000 },
};

describe('renderMarkdown: charts that show the data', () => {
  it('links each benchmark’s chart of measured against target, and renders it with the report', () => {
    const sources = { histories: new Map(), benchRuns: [] };
    const { markdown, charts } = renderReport(file({ results: [benchRun] }), fixtureDeclared, sources);
    expect(chartLinks(markdown)).toEqual(['charts/bench-checkpoint-creation.svg']);
    expect(markdown).toContain(
      '![Checkpoint creation latency: measured against target](charts/bench-checkpoint-creation.svg)',
    );
    expect(charts.map((c) => c.id)).toEqual(['bench-checkpoint-creation']);
    expect(charts[0]!.svg).toMatch(/^<svg /);
    expect(markdown).not.toContain('```mermaid');
  });

  it('links a stress test’s latency histogram and CDF, and a chaos scenario’s timeline, each followed by its caption', () => {
    const commits: HistoryEntry[] = [0.02, 0.03, 0.05, 0.5, 4, 40, 90].map((latencyMs, i) => ({
      kind: 'checkpoint.committed',
      taskId: 't',
      seq: i + 1,
      id: i + 1,
      latencyMs,
      t: 1000 + i * 10,
      worker: 'busy-1',
    }));
    const stress: ScenarioResult = {
      ...result,
      id: 'database-contention',
      category: 'stress',
      faults: [],
      vacuity: [],
    };
    const md = renderMarkdown(file({ results: [stress, failedRun] }), [], {
      histories: new Map([
        ['database-contention', commits],
        ['kill-mid-tool-call', failedHistory],
      ]),
      benchRuns: [],
    });
    expect(chartLinks(md)).toEqual([
      'charts/timeline-kill-mid-tool-call.svg',
      'charts/latency-histogram-database-contention.svg',
      'charts/latency-cdf-database-contention.svg',
    ]);
    const after = (link: string): string | undefined => {
      const lines = md.split('\n');
      return lines[lines.findIndex((l) => l.includes(link)) + 2];
    };
    expect(after('timeline-kill-mid-tool-call.svg')).toMatch(/^The workload's progress against time/);
    expect(after('latency-cdf-database-contention.svg')).toContain('P50 0.5 ms, P95 90 ms, P99 90 ms');
  });

  it('links a P50 trend chart per benchmark from earlier benchmark files', () => {
    const runs = ['aaa1111', 'bbb2222'].map((commit, i) => ({
      commit,
      generatedAt: `2026-01-0${i + 1}T00:00:00.000Z`,
      benchmarks: [{ id: 'checkpoint-creation/normal', p50: 0.016 + i * 0.004 }],
    }));
    const md = renderMarkdown(file({ results: [benchRun] }), fixtureDeclared, {
      histories: new Map(),
      benchRuns: runs,
    });
    expect(md).toContain('Benchmark trend across commits');
    expect(chartLinks(md)).toContain('charts/trend-checkpoint-creation.svg');
  });

  it('links charts from the folder it is given (a partial run’s own)', () => {
    const { markdown } = renderReport(file({ results: [benchRun] }), fixtureDeclared, none, 'partial-charts');
    expect(markdown).toContain('](partial-charts/bench-checkpoint-creation.svg)');
  });
});

describe('renderMarkdown: trend across partial runs', () => {
  it('charts every variant of a benchmark across the commits, a commit without one leaving a gap, and tables them all', () => {
    const runs = [
      {
        commit: 'aaa1111',
        generatedAt: '2026-01-01T00:00:00.000Z',
        benchmarks: [{ id: 'checkpoint-creation/normal', p50: 0.016 }],
      },
      {
        commit: 'bbb2222',
        generatedAt: '2026-01-02T00:00:00.000Z',
        benchmarks: [{ id: 'tool-replay/normal', p50: 0.007 }],
      },
      {
        commit: 'ccc3333',
        generatedAt: '2026-01-03T00:00:00.000Z',
        benchmarks: [
          { id: 'checkpoint-creation/normal', p50: 0.02 },
          { id: 'checkpoint-creation/peer', p50: 0.03 },
        ],
      },
    ];
    const { markdown, charts } = renderReport(file({ results: [benchRun] }), fixtureDeclared, {
      histories: new Map(),
      benchRuns: runs,
    });
    expect(charts.map((c) => c.id)).toEqual([
      'bench-checkpoint-creation',
      'trend-checkpoint-creation',
      'trend-tool-replay',
    ]);
    expect(markdown).toContain('| checkpoint-creation/peer | — | — | 0.03 ms |');
  });
});

describe('renderMarkdown: a test’s heading', () => {
  const heading = (md: string): string | undefined => md.split('\n').find((l) => l.startsWith('### 1. '));

  it('shows the targets’ verdict beside the gates’: a benchmark that passed but missed a target says so', () => {
    const md = renderMarkdown(file({ results: [benchRun] }), fixtureDeclared, none);
    expect(heading(md)).toBe('### 1. Checkpoint creation latency — ✅ passed · ⚠️ 1 of 2 targets missed (1.23 s)');
  });

  it('says every target was met, or not judged, and nothing of targets where there are none', () => {
    const met: BenchResult = { ...benchRun, criteria: benchRun.criteria.map((c) => ({ ...c, valid: true })) };
    expect(heading(renderMarkdown(file({ results: [met] }), fixtureDeclared, none))).toBe(
      '### 1. Checkpoint creation latency — ✅ passed · all 2 targets met (1.23 s)',
    );
    const unjudged: BenchResult = {
      ...benchRun,
      criteria: [benchRun.criteria[0]!, { ...benchRun.criteria[1]!, valid: 'unknown' }],
    };
    expect(heading(renderMarkdown(file({ results: [unjudged] }), fixtureDeclared, none))).toBe(
      '### 1. Checkpoint creation latency — ✅ passed · ❔ 1 of 2 targets not judged (1.23 s)',
    );
    const one: BenchResult = { ...benchRun, criteria: [benchRun.criteria[1]!] };
    expect(heading(renderMarkdown(file({ results: [one] }), fixtureDeclared, none))).toBe(
      '### 1. Checkpoint creation latency — ✅ passed · ⚠️ target missed (1.23 s)',
    );
    const gatesOnly: ScenarioResult = { ...result, criteria: [result.criteria[0]!] };
    expect(heading(renderMarkdown(file({ results: [gatesOnly] }), [], none))).toBe(
      '### 1. Kill -9 recovery — ✅ passed (1.23 s)',
    );
  });
});
