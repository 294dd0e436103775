import { describe, expect, it } from 'vitest';
import type { FaultLogEntry, ScenarioResult, VacuityResult } from '../result.js';
import { renderMarkdown } from './markdown.js';
import { fixtureFile } from './report-fixture.js';

/** langgraph-kill9 as it runs: two chains of 20 runs, each run killed once; one kill (sqlite-20) did not bite. */
const targets = ['agentos', 'sqlite'].flatMap((saver) => Array.from({ length: 20 }, (_, i) => `${saver}-${i + 1}`));
const armed: FaultLogEntry[] = targets.map((target, i) => ({
  t: 1000,
  fault: 'sigkill',
  target,
  action: 'armed',
  detail: `fires on event #${(i % 3) + 1} of its trigger`,
}));
const injected: FaultLogEntry[] = targets.map((target, i) => ({
  t: 4000 + i * 1000,
  fault: 'sigkill',
  target,
  action: 'injected',
  detail: `SIGKILL sent to ${target} (pid ${5000 + i})`,
}));
const vacuity: VacuityResult[] = targets.map((target) =>
  target === 'sqlite-20'
    ? { fault: 'sigkill', target, fired: false, detail: `no worker of "${target}" was killed by SIGKILL` }
    : { fault: 'sigkill', target, fired: true, detail: `1 worker(s) of "${target}" died of SIGKILL` },
);
const long: ScenarioResult = {
  id: 'langgraph-kill9',
  title: 'A LangGraph agent under kill -9',
  category: 'chaos',
  seedTest: '—',
  purpose: 'p',
  procedure: ['p'],
  seed: 7,
  durationMs: 60_000,
  criteria: [],
  faults: [...armed, ...injected],
  vacuity,
  workers: [],
  survivors: [],
  historyFile: '/somewhere/reports/runs/langgraph-kill9/history.jsonl',
  runDir: '',
  state: 'passed',
};

const section = (md: string, from: string, to: string): string => {
  const start = md.indexOf(from);
  return md.slice(start, md.indexOf(to, start + from.length));
};

describe('a long fault log, summarised', () => {
  const md = renderMarkdown({ ...fixtureFile, results: [long] }, [], { histories: new Map(), benchRuns: [] });
  const log = section(md, '**Fault log', '**Vacuity guard.**');
  const guard = section(md, '**Vacuity guard.**', 'Workers:');

  it('gives one line per kind of fault and group of targets, with counts, pids and a link to the full log', () => {
    expect(log).toContain(
      '80 entries, summarised by fault and target; every injection, with its time and detail, is in the history file [reports/runs/langgraph-kill9/history.jsonl](runs/langgraph-kill9/history.jsonl)',
    );
    expect(log).toContain(
      '- sigkill × 20 on agentos-1 … agentos-20: armed 20 (on event #1–#3 of each trigger); injected 20, from 3000 to 22000 ms (pids 5000, 5001, 5002, 5003, 5004 … 5019)',
    );
    expect(log).toContain('- sigkill × 20 on sqlite-1 … sqlite-20: armed 20');
    expect(log).not.toMatch(/^\| /m);
    expect(log.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(2);
  });

  it('groups the vacuity lines of faults judged alike, and still shows each fault that did not fire', () => {
    expect(guard).toContain(
      '- ✅ faults 1–20, sigkill on agentos-1 … agentos-20: each 1 worker(s) of "agentos-N" died of SIGKILL',
    );
    expect(guard).toContain(
      '- ✅ faults 21–39, sigkill on sqlite-1 … sqlite-19: each 1 worker(s) of "sqlite-N" died of SIGKILL',
    );
    expect(guard).toContain('- ❌ fault 40, sigkill on sqlite-20: no worker of "sqlite-20" was killed by SIGKILL');
    expect(guard.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(3);
  });

  it('names the faults in the timeline’s caption by the same groups', () => {
    const caption = log.split('\n').find((l) => l.startsWith("The workload's progress against time"));
    expect(caption).toContain(
      'Faults: sigkill × 20 on agentos-1 … agentos-20 injected from 3000 to 22000 ms; sigkill × 20 on sqlite-1 … sqlite-20 injected from 23000 to 42000 ms.',
    );
  });

  it('keeps a short log as it is: every entry a row, every fault a line', () => {
    const short: ScenarioResult = { ...long, faults: [armed[0]!, injected[0]!], vacuity: [vacuity[0]!] };
    const small = renderMarkdown({ ...fixtureFile, results: [short] }, [], { histories: new Map(), benchRuns: [] });
    expect(small).toContain('| 3000 | sigkill | agentos-1 | injected | SIGKILL sent to agentos-1 (pid 5000) |');
    expect(small).toContain('- ✅ fault 1, sigkill on agentos-1: 1 worker(s) of "agentos-1" died of SIGKILL');
  });
});
