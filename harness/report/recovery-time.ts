import type { LoadedScenario } from '../load.js';
import type { ScenarioResult, TestResult } from '../result.js';
import { DEFAULT_SUBJECT, type Capability } from '../subject.js';
import { criterionMark } from './criterion-mark.js';
import { table } from './table.js';

export const RECOVERY_TIME_ANCHOR = 'recovery-time';

/** A declared scenario that measures time to resume, and the criterion that does. */
interface Measuring {
  id: string;
  criterion: string;
  requires: readonly Capability[];
}

function measuring(declared: readonly LoadedScenario[]): Measuring[] {
  return declared.flatMap((d) => {
    if (d.category === 'bench') return [];
    const c = d.scenario.criteria.find((x) => x.check.check === 'time-to-resume');
    return c ? [{ id: d.id, criterion: c.id, requires: d.scenario.requires }] : [];
  });
}

function subjectOf(r: ScenarioResult): string {
  return r.subject ?? DEFAULT_SUBJECT;
}

/** The time to resume of one run, as its row shows it. */
function resumeRow(r: ScenarioResult, criterion: string): string[] {
  const test = `${r.title} (\`${r.id}\`)`;
  const subject = `${subjectOf(r)}${r.peer === true ? ' (peer)' : ''}`;
  if (r.state === 'not-applicable') return [test, subject, `➖ not applicable: ${r.reason}`, '', ''];
  const c = r.criteria.find((x) => x.id === criterion);
  if (!c) return [test, subject, 'not measured', '', ''];
  const ms = c.data?.resumeMs;
  return [test, subject, ms === undefined ? c.measured : `${ms.toFixed(0)} ms`, c.ours, criterionMark(c)];
}

/**
 * Recovery time: per subject, how long a task stays stopped after its runner is killed, from each scenario with a
 * time-to-resume criterion. Peers that cannot run such a scenario are named in a note, not left out silently.
 * Empty when no such scenario ran.
 */
export function renderRecoveryTime(results: readonly TestResult[], declared: readonly LoadedScenario[]): string[] {
  const scenarios = measuring(declared);
  const runs = scenarios.flatMap((m) =>
    results
      .filter((r): r is ScenarioResult => r.category !== 'bench' && r.id === m.id)
      // A peer the scenario does not apply to is named in the note below, not given an empty row.
      .filter((r) => !(r.peer === true && r.state === 'not-applicable'))
      .map((r) => ({ r, m })),
  );
  if (runs.length === 0) return [];
  const out = [`<a id="${RECOVERY_TIME_ANCHOR}"></a>`, '', '## Recovery time', ''];
  out.push(
    'Time to resume: from the SIGKILL of a task’s runner to the first step started by the runner started in its ' +
      'place, its process start included. No clock is moved, so a wait for the dead runner’s lease would show here.',
    '',
    table(
      ['Test', 'Subject', 'Time to resume', 'Bound', 'Status'],
      runs.map(({ r, m }) => resumeRow(r, m.criterion)),
    ),
    '',
  );
  for (const m of scenarios.filter((s) => runs.some((x) => x.m === s))) {
    const peers = results
      .filter((r): r is ScenarioResult => r.category !== 'bench' && r.id === m.id)
      .filter((r) => r.peer === true && r.state === 'not-applicable')
      .map(subjectOf);
    if (peers.length === 0) continue;
    out.push(
      `Not measured on the peers (${peers.join(', ')}): \`${m.id}\` does not apply to them: it requires ` +
        `${m.requires.join(', ')}.`,
      '',
    );
  }
  return out;
}
