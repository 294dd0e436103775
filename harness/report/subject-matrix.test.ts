import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../result.js';
import { failedChaos } from './report-fixture.js';
import { renderSubjectMatrix } from './subject-matrix.js';

const criterion = (id: string, valid: boolean, measured: string) => ({
  id,
  kind: 'gate' as const,
  description: id,
  seed: '—',
  ours: '—',
  valid,
  measured,
});

const ours: ScenarioResult = {
  ...failedChaos,
  id: 'kill9-recovery',
  title: 'Kill -9 recovery',
  subject: 'agentos-postgres',
  peer: false,
  criteria: [
    criterion('acknowledged-present', true, '63/63 acknowledged present'),
    criterion('gap-free', true, 'gap-free'),
  ],
  state: 'passed',
};
const peer: ScenarioResult = {
  ...failedChaos,
  id: 'kill9-recovery',
  title: 'Kill -9 recovery',
  subject: 'langgraph-sqlite',
  peer: true,
  notApplicable: ['gap-free: sequence-gap-free needs sequence'],
  criteria: [criterion('acknowledged-present', false, '0/4 acknowledged present')],
  historyFile: '/x/reports/runs/kill9-recovery@langgraph-sqlite/history.jsonl',
  state: 'failed',
  reasons: ['acknowledged-present: invalid — measured 0/4 acknowledged present'],
};

describe('subject matrix', () => {
  it('puts each criterion of a test side by side per subject, marks what a subject cannot check, and tells the peer findings', () => {
    const text = renderSubjectMatrix([ours, peer], new Map()).join('\n');
    expect(text).toContain('| Test / criterion | agentos-postgres | langgraph-sqlite (peer) |');
    expect(text).toContain('| **Kill -9 recovery** (`kill9-recovery`) | ✅ passed | ❌ failed |');
    expect(text).toContain('|   acknowledged-present | ✅ 63/63 acknowledged present | ❌ 0/4 acknowledged present |');
    expect(text).toContain('|   gap-free | ✅ gap-free | ➖ gap-free: sequence-gap-free needs sequence |');
    expect(text).toMatch(
      /### Peer findings[\s\S]*Kill -9 recovery on langgraph-sqlite[\s\S]*--subject langgraph-sqlite/,
    );
    expect(text).toContain('reports/runs/kill9-recovery@langgraph-sqlite/history.jsonl');
  });

  it('is left out of a run on the default subject alone', () => {
    expect(renderSubjectMatrix([{ ...ours, subject: 'agentos-sqlite' }], new Map())).toEqual([]);
    // A results file written before subjects: no subject field at all.
    const beforeSubjects: ScenarioResult = { ...ours };
    delete beforeSubjects.subject;
    expect(renderSubjectMatrix([beforeSubjects], new Map())).toEqual([]);
  });
});
