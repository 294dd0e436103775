import { resultKey, type ScenarioResult, type TestResult } from '../result.js';
import { DEFAULT_SUBJECT } from '../subject.js';
import { failedTest, replayCommand } from './failures.js';
import { cell, table } from './table.js';
import { relativeHistory } from './test-section.js';
import type { HistoryEntry } from '../workers/protocol.js';

export const MATRIX_ANCHOR = 'subject-matrix';

const MARK = { passed: '✅', failed: '❌', 'not-applicable': '➖' } as const;

function subjectOf(r: ScenarioResult): string {
  return r.subject ?? DEFAULT_SUBJECT;
}

/**
 * Declared test × subject: each test's verdict, then each criterion's measured value, side by side. Empty unless the
 * run covered more than one subject or a subject other than the default.
 */
export function renderSubjectMatrix(
  results: readonly TestResult[],
  histories: ReadonlyMap<string, readonly HistoryEntry[]>,
): string[] {
  const scenarios = results.filter((r): r is ScenarioResult => r.category !== 'bench');
  // The subjects in the order the run took them; which are peers, from their results.
  const subjects = [...new Set(scenarios.map(subjectOf))];
  const peer = new Set(scenarios.filter((r) => r.peer === true).map(subjectOf));
  if (subjects.length === 0 || (subjects.length === 1 && subjects[0] === DEFAULT_SUBJECT)) return [];
  const out = [`<a id="${MATRIX_ANCHOR}"></a>`, '', '## Subject matrix', ''];
  out.push(
    'The same scenarios, the same faults and the same checks, against each system under test. ' +
      `Peers (${subjects.filter((s) => peer.has(s)).join(', ') || 'none in this run'}) are reported, never gate the run: ` +
      'what a peer loses under a fault is a finding. ➖ marks a test or criterion the subject cannot run, with the reason.',
    '',
  );
  const ids = [...new Set(scenarios.map((r) => r.id))];
  const header = ['Test / criterion', ...subjects.map((s) => `${s}${peer.has(s) ? ' (peer)' : ''}`)];
  const rows: string[][] = [];
  for (const id of ids) {
    const bySubject = new Map(scenarios.filter((r) => r.id === id).map((r) => [subjectOf(r), r]));
    rows.push([
      `**${bySubject.values().next().value?.title ?? id}** (\`${id}\`)`,
      ...subjects.map((s) => {
        const r = bySubject.get(s);
        if (!r) return 'not run';
        return r.state === 'not-applicable' ? `${MARK[r.state]} ${cell(r.reason)}` : `${MARK[r.state]} ${r.state}`;
      }),
    ]);
    const criteria = [...new Set([...bySubject.values()].flatMap((r) => r.criteria.map((c) => c.id)))];
    for (const criterion of criteria) {
      rows.push([
        `  ${criterion}`,
        ...subjects.map((s) => {
          const r = bySubject.get(s);
          if (!r || r.state === 'not-applicable') return '';
          const c = r.criteria.find((x) => x.id === criterion);
          if (!c) return `➖ ${cell(r.notApplicable?.find((n) => n.startsWith(`${criterion}:`)) ?? 'not checked')}`;
          return `${c.valid === true ? '✅' : c.valid === false ? '❌' : '❔'} ${cell(c.measured)}`;
        }),
      ]);
    }
  }
  out.push(table(header, rows), '');
  const findings = scenarios.filter((r) => r.peer === true && r.state === 'failed');
  if (findings.length > 0) {
    out.push('### Peer findings', '');
    for (const r of findings) {
      const failed = failedTest(r, histories.get(resultKey(r)));
      if (!failed) continue;
      out.push(`**${r.title} on ${subjectOf(r)}** — replay: \`${replayCommand(r)}\``, '');
      for (const line of [...failed.causes, ...failed.harness]) out.push(`- ${line}`);
      for (const line of failed.evidence.slice(0, 5)) out.push(`- evidence: ${line}`);
      out.push(`- history: \`${relativeHistory(r.historyFile)}\``, '');
    }
  }
  return out;
}
