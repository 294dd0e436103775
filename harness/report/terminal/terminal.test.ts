import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ScenarioResult } from '../../result.js';
import type { RunSummary } from '../failures.js';
import { failedChaos } from '../report-fixture.js';
import { RunProgress } from './progress.js';
import { colorEnabled } from './style.js';
import { renderInterrupted, renderSummary } from './summary.js';

const ESC = '\x1b[';

const failed = failedChaos;

const summary: RunSummary = {
  failed: [
    {
      id: failed.id,
      title: failed.title,
      category: 'chaos',
      causes: ['Side effects counted in files — expected each command exactly once; measured 3/6 exactly once'],
      harness: [],
      evidence: ['second: InDoubtToolCallError: call 9 has no result; resolve it with forget()'],
      replay: 'pnpm chaos --only kill-mid-tool-call --seed 7',
      runDir: failed.runDir,
    },
  ],
  missed: [
    {
      id: 'database-contention',
      title: 'Database contention',
      description: 'Tail ratio',
      ours: '≤ 2',
      measured: '9.44',
    },
  ],
  alerts: [
    {
      alert: 'checkpoint_creation_latency_p95',
      threshold: 'alerts above 50 ms',
      severity: 'warning',
      where: '100 concurrent tasks: Commit latency',
      measured: '103.4 ms',
      verdict: 'would alert',
      status: '🔔 would alert (> 50 ms)',
    },
  ],
  missing: [],
  notApplicable: [],
  campaign: undefined,
};

describe('renderSummary', () => {
  const input = {
    summary,
    results: [failed],
    durationMs: 32_100,
    seed: 7,
    written: ['reports/acceptance.md', 'reports/results.json'],
  };

  it('ends the run with the failed tests, their causes, worker errors and replay command, missed targets, alerts and the report', () => {
    const text = renderSummary({ ...input, color: false });
    expect(text).toContain('✗ 0/1 passed, 1 failed in 32.1 s (seed 7)');
    expect(text).toContain(
      'Side effects counted in files — expected each command exactly once; measured 3/6 exactly once',
    );
    expect(text).toContain('second: InDoubtToolCallError: call 9 has no result; resolve it with forget()');
    expect(text).toContain('replay: pnpm chaos --only kill-mid-tool-call --seed 7');
    expect(text).toMatch(/Targets missed \(1\).*\n.*database-contention: Tail ratio — target ≤ 2, measured 9\.44/);
    expect(text).toMatch(/Alerts that would fire \(1\):\n.*checkpoint_creation_latency_p95 .*103\.4 ms/);
    expect(text.trimEnd().split('\n').at(-1)).toBe('Report: reports/acceptance.md (also wrote reports/results.json)');
    expect(text).not.toContain(ESC);
  });

  it('does not end a run whose campaign found a violation with a green verdict, and gives the shrunk replay line', () => {
    const campaign = {
      runs: 30,
      durationMs: 4000,
      violations: [{ reason: 'an acknowledged checkpoint is missing', repro: "pnpm chaos --replay '{}'" }],
      unjudged: [],
    };
    const text = renderSummary({
      ...input,
      summary: { ...summary, failed: [], missed: [], alerts: [], campaign },
      results: [{ ...failed, state: 'passed' } as ScenarioResult],
      color: false,
    });
    expect(text).toContain(
      '✗ 1/1 passed in 32.1 s; campaign: 1 violation(s), 0 not judged in 30 runs in 4.0 s (36.1 s in all, seed 7)',
    );
    expect(text).toMatch(/an acknowledged checkpoint is missing\n\s+replay: pnpm chaos --replay '\{\}'/);
  });

  it('says which file a partial run wrote and which files of the last full run it left alone', () => {
    const text = renderSummary({
      ...input,
      written: ['reports/partial.md', 'reports/partial-results.json'],
      partial: { why: '--only kill-mid-tool-call', kept: ['reports/acceptance.md', 'reports/results.json'] },
      color: false,
    });
    expect(text.trimEnd().split('\n').slice(-2)).toEqual([
      'Report: reports/partial.md (also wrote reports/partial-results.json)',
      'Partial run (--only kill-mid-tool-call): wrote reports/partial.md; reports/acceptance.md and reports/results.json (the last full run) were left as they were.',
    ]);
  });

  it('gives the campaign its own time, not the whole run’s', () => {
    const text = renderSummary({
      ...input,
      summary: {
        ...summary,
        failed: [],
        missed: [],
        alerts: [],
        campaign: { runs: 30, durationMs: 15_500, violations: [], unjudged: [] },
      },
      results: [{ ...failed, state: 'passed' } as ScenarioResult],
      durationMs: 109_300,
      color: false,
    });
    expect(text).toContain(
      '✓ 1/1 passed in 109.3 s; campaign: no violation in 30 runs in 15.5 s (124.8 s in all, seed 7)',
    );
  });

  it('paints it when colour is on', () => {
    expect(renderSummary({ ...input, color: true })).toContain(ESC);
  });
});

describe('colorEnabled', () => {
  const tty = { write: () => true, isTTY: true, hasColors: () => true };
  const pipe = { write: () => true };
  it('follows NO_COLOR, FORCE_COLOR and whether the output is a colour terminal', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled(tty, { FORCE_COLOR: '0' })).toBe(false);
  });
});

describe('RunProgress', () => {
  afterEach(() => vi.useRealTimers());

  function capture() {
    const chunks: string[] = [];
    return { out: { write: (s: string) => chunks.push(s), columns: 80 }, text: () => chunks.join('') };
  }

  it('in a log: a running line, the steps, a heartbeat while it runs long, and the verdict with its time and cause', () => {
    vi.useFakeTimers();
    let now = 0;
    const { out, text } = capture();
    const progress = new RunProgress(out, 19, { live: false, color: false, now: () => now, heartbeatMs: 15_000 });
    progress.start('stress/concurrent-tasks-100', '100 concurrent tasks', 15);
    progress.note('starting 100 × checkpoint-writer (busy)');
    now = 15_000;
    vi.advanceTimersByTime(15_000);
    progress.finish(failed, 15);
    progress.close();
    expect(text()).toBe(
      '[16/19] stress/concurrent-tasks-100 — 100 concurrent tasks: running\n' +
        '    · starting 100 × checkpoint-writer (busy)\n' +
        '    … stress/concurrent-tasks-100 still running (15.0 s); last: starting 100 × checkpoint-writer (busy)\n' +
        '✗ [16/19] stress/concurrent-tasks-100 failed in 2.1 s\n' +
        '      Side effects counted in files — expected each command exactly once; measured 3/6 exactly once\n',
    );
  });

  it('on a terminal: one status line redrawn in place with the elapsed time, cut to the terminal width, then cleared', () => {
    vi.useFakeTimers();
    let now = 0;
    const { out, text } = capture();
    const progress = new RunProgress(out, 2, { live: true, color: false, now: () => now, redrawMs: 250 });
    progress.start('chaos/kill9-recovery', 'Kill -9 recovery '.repeat(5), 0);
    now = 1200;
    vi.advanceTimersByTime(250);
    progress.finish({ ...failed, state: 'passed', durationMs: 1200 } as ScenarioResult, 0);
    const lines = text().split('\r\x1b[2K');
    expect(lines.some((l) => l.includes('running 1.2 s'))).toBe(true);
    expect(Math.max(...lines.map((l) => l.replace(/\n.*/s, '').length))).toBeLessThanOrEqual(80);
    expect(lines.at(-1)).toBe('✓ [1/2] chaos/kill9-recovery passed in 1.2 s\n');
  });
});

describe('renderInterrupted', () => {
  it('says what was stopped and what was kept', () => {
    const text = renderInterrupted({
      stopped: 'chaos/kill9-recovery',
      finished: 3,
      unfinished: 16,
      previousReport: 'reports/acceptance.md',
    });
    expect(text).toContain(
      'Stopped: chaos/kill9-recovery (its processes reaped, its run folder removed); 3 test(s) had finished, 15 did not run.',
    );
    expect(text).toContain(
      "Kept: the previous report, reports/acceptance.md, as it was; this run's results were not written.",
    );
  });
});
