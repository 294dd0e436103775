// A run with something of every kind the report draws, for tests that render the whole report.
import type { BenchResult, ScenarioResult } from '../result.js';
import type { LoadedScenario } from '../load.js';
import { benchmarkSchema, scenarioSchema } from '../schema.js';
import type { HistoryEntry } from '../workers/protocol.js';
import type { BenchRun } from './charts/trend.js';
import type { ResultsFile } from './results-file.js';

const base = { seedTest: 'T::t', purpose: 'p', procedure: ['one', 'two'], seed: 7, survivors: [] };

export const failedChaos: ScenarioResult = {
  ...base,
  id: 'kill-mid-tool-call',
  title: 'A worker killed while its tool calls run',
  category: 'chaos',
  durationMs: 2100,
  criteria: [
    {
      id: 'once',
      kind: 'gate',
      description: 'Side effects counted in files',
      seed: '—',
      ours: 'each command exactly once',
      valid: false,
      measured: '3/6 exactly once',
    },
  ],
  faults: [
    { t: 1700, fault: 'sigkill', target: 'first', action: 'injected', detail: 'SIGKILL sent to first (pid 11)' },
  ],
  vacuity: [{ fault: 'sigkill', target: 'first', fired: true, detail: '1 worker(s) of "first" died of SIGKILL' }],
  workers: [{ id: 'first', group: 'first', pid: 11, exitCode: null, signal: 'SIGKILL', peakRssKb: 51200 }],
  historyFile: '/x/reports/runs/kill-mid-tool-call/history.jsonl',
  runDir: '/tmp/agentos-chaos-kill-mid-tool-call-1',
  state: 'failed',
  reasons: ['once: invalid — measured 3/6 exactly once'],
};

const stress: ScenarioResult = {
  ...base,
  id: 'database-contention',
  title: 'Database contention',
  category: 'stress',
  durationMs: 1800,
  criteria: [
    { id: 'tail', kind: 'target', description: 'Tail ratio', seed: '—', ours: '≤ 2', valid: false, measured: '9.44' },
  ],
  faults: [],
  vacuity: [],
  workers: [{ id: 'busy-1', group: 'busy', pid: 21, exitCode: 0, signal: null, peakRssKb: 52000 }],
  historyFile: '/x/reports/runs/database-contention/history.jsonl',
  runDir: '',
  state: 'passed',
};

const summary = (p50: number) => ({
  n: 11062,
  mean: p50 * 1.5,
  p50,
  p95: p50 * 2,
  p99: p50 * 10,
  max: p50 * 100,
  insufficient: [],
});

const bench: BenchResult = {
  ...base,
  id: 'checkpoint-creation',
  title: 'Checkpoint creation latency',
  category: 'bench',
  durationMs: 5000,
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
      valid: true,
      measured: 'P50 0.3064 ms',
    },
  ],
  measurements: [
    {
      variant: 'normal',
      subject: 'checkpoint-commit',
      durability: 'normal',
      peer: false,
      summary: summary(0.0161),
      opsPerSec: 15000,
      samples: [],
    },
    {
      variant: 'full',
      subject: 'checkpoint-commit',
      durability: 'full',
      peer: false,
      summary: summary(0.3064),
      opsPerSec: 900,
      samples: [],
    },
  ],
  options: { timeMs: 700, warmupMs: 150, iterations: 1000 },
  workers: [],
  state: 'passed',
};

export const fixtureDeclared: LoadedScenario[] = [
  {
    category: 'bench',
    file: 'scenarios/bench/01.ts',
    id: bench.id,
    benchmark: benchmarkSchema.parse({
      id: bench.id,
      title: bench.title,
      purpose: 'p',
      seedTest: 'T::t',
      procedure: ['time it'],
      variants: [
        { name: 'normal', subject: 'checkpoint-commit' },
        { name: 'full', subject: 'checkpoint-commit', durability: 'full' },
      ],
      criteria: [
        {
          id: 'p50-normal',
          description: 'P50, synchronous=NORMAL',
          seed: '—',
          ours: '≤ 0.06 ms',
          metric: { variant: 'normal', stat: 'p50', maxMs: 0.06 },
        },
        {
          id: 'p50-full',
          description: 'P50, synchronous=FULL',
          seed: '—',
          ours: '≤ 0.5 ms',
          metric: { variant: 'full', stat: 'p50', maxMs: 0.5 },
        },
      ],
    }),
  },
];

const at = (t: number, worker: string, event: object): HistoryEntry => ({ ...event, t, worker }) as HistoryEntry;

export const fixtureHistories = new Map<string, HistoryEntry[]>([
  [
    failedChaos.id,
    [
      at(1000, 'first', { kind: 'worker.started', pid: 11, group: 'first' }),
      ...Array.from({ length: 3 }, (_, i) =>
        at(1100 + i * 250, 'first', { kind: 'tool.batch', pass: 1, batch: i + 1, calls: 8 }),
      ),
      at(1700, 'harness', {
        kind: 'fault.injected',
        fault: 'sigkill',
        target: 'first',
        detail: 'SIGKILL sent',
        affected: 1,
      }),
      at(1701, 'first', { kind: 'worker.exited', exitCode: null, signal: 'SIGKILL', peakRssKb: null }),
      at(1710, 'second', { kind: 'worker.started', pid: 12, group: 'second' }),
      at(1800, 'second', {
        kind: 'worker.error',
        message: 'InDoubtToolCallError: tool call 9 started but has no result; resolve it with forget()',
      }),
      at(1802, 'second', { kind: 'worker.exited', exitCode: 1, signal: null, peakRssKb: null }),
    ],
  ],
  [
    stress.id,
    Array.from({ length: 400 }, (_, i) =>
      at(2000 + i, `busy-${(i % 20) + 1}`, {
        kind: 'checkpoint.committed',
        taskId: 't',
        seq: i + 1,
        id: i + 1,
        latencyMs: i < 380 ? 0.02 + i * 0.0001 : 20 + i / 4,
      }),
    ),
  ],
]);

export const fixtureBenchRuns: BenchRun[] = ['aaa1111', 'bbb2222', 'ccc3333'].map((commit, i) => ({
  commit,
  generatedAt: `2026-01-0${i + 1}T00:00:00.000Z`,
  benchmarks: [
    { id: 'checkpoint-creation/normal', p50: 0.016 * (1 + i * 0.1) },
    { id: 'checkpoint-creation/full', p50: 0.3 * (1 - i * 0.05) },
  ],
}));

export const fixtureFile: ResultsFile = {
  schema: 'agentos-chaos/results@1',
  generatedAt: '2026-01-03T00:00:00.000Z',
  seed: 7,
  selection: { only: null, category: null },
  declared: { chaos: 1, bench: 1, stress: 1 },
  environment: {
    commit: 'ccc3333',
    dirty: false,
    node: 'v20',
    v8: '11',
    sqlite: '3.53',
    cpu: 'cpu',
    cores: 2,
    memoryGiB: 24,
    os: 'linux',
  },
  durationMs: 9000,
  harnessPeakRssKb: 100 * 1024,
  results: [failedChaos, bench, stress],
  missing: [],
};

/** A chaos scenario with 20 kills of a chain of runners and a clock skew injected and healed: markers that must not merge. */
export const manyFaultsChaos: ScenarioResult = {
  ...base,
  id: 'langgraph-kill9',
  title: 'LangGraph agent SIGKILLed again and again on SqliteSaver',
  category: 'chaos',
  durationMs: 60_000,
  criteria: [
    { id: 'resumed', kind: 'gate', description: 'Resumed', seed: '—', ours: 'all', valid: true, measured: 'all' },
  ],
  faults: [
    ...Array.from({ length: 20 }, (_, i) => ({
      t: 10_000 + 3000 + i * 2600,
      fault: 'sigkill',
      target: `agentos-${i + 1}`,
      action: 'injected' as const,
      detail: `SIGKILL sent to agentos-${i + 1} (pid ${100 + i})`,
    })),
    { t: 10_000 + 20_000, fault: 'clock-skew', target: 'holder', action: 'injected', detail: '+30 s' },
    { t: 10_000 + 40_000, fault: 'clock-skew', target: 'holder', action: 'healed', detail: '0 s' },
  ],
  vacuity: [],
  workers: [],
  historyFile: '/x/reports/runs/langgraph-kill9/history.jsonl',
  runDir: '',
  state: 'passed',
};

/** The fixture's declarations and a stress test's, whose commit-latency target the latency chart draws. */
export const fixtureChartsDeclared: LoadedScenario[] = [
  ...fixtureDeclared,
  {
    category: 'stress',
    file: 'scenarios/stress/02.ts',
    id: stress.id,
    scenario: scenarioSchema.parse({
      id: stress.id,
      title: stress.title,
      purpose: 'p',
      seedTest: 'T::t',
      procedure: ['commit'],
      workers: [{ name: 'busy', workload: 'checkpoint-writer', count: 20, params: { taskId: 't', count: 20 } }],
      criteria: [
        {
          id: 'latency-busy',
          description: 'Commit latency',
          seed: '—',
          ours: 'P99 ≤ 50 ms',
          check: { check: 'commit-latency', worker: 'busy', percentile: 99, maxMs: 50 },
          kind: 'target',
        },
      ],
    }),
  },
];

fixtureHistories.set(
  manyFaultsChaos.id,
  Array.from({ length: 600 }, (_, i) =>
    at(10_000 + i * 100, `agentos-${Math.min(20, Math.floor(i / 30) + 1)}`, {
      // Checkpoints only once the agent has warmed up: the two progress lines part.
      kind: i > 200 && i % 3 === 0 ? 'checkpoint.committed' : 'step.finished',
      taskId: 't',
      step: 's',
      seq: i,
      id: i,
      latencyMs: 1,
    }),
  ),
);

/** Every kind of chart the report draws: the fixture with the many-fault scenario beside it. */
export const fixtureChartsFile: ResultsFile = {
  ...fixtureFile,
  declared: { chaos: 2, bench: 1, stress: 1 },
  results: [...fixtureFile.results, manyFaultsChaos],
};
