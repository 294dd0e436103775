import { describe, expect, it } from 'vitest';
import restartAfterKill from '../../scenarios/chaos/21-restart-after-kill.js';
import type { LoadedScenario } from '../load.js';
import type { ScenarioResult } from '../result.js';
import { scenarioSchema } from '../schema.js';
import { failedChaos } from './report-fixture.js';
import { renderRecoveryTime } from './recovery-time.js';

const declared: LoadedScenario[] = [
  {
    category: 'chaos',
    file: 'scenarios/chaos/21-restart-after-kill.ts',
    id: restartAfterKill.id,
    scenario: scenarioSchema.parse(restartAfterKill),
  },
];

const timeToResume = (valid: boolean, measured: string, resumeMs?: number) => ({
  id: 'time-to-resume',
  kind: 'gate' as const,
  description: 'From the SIGKILL to the new runner’s first step',
  seed: '—',
  ours: '≤ 1 s',
  valid,
  measured,
  ...(resumeMs !== undefined ? { data: { resumeMs } } : {}),
});

const run = (subject: ScenarioResult['subject'], extra: Partial<ScenarioResult>): ScenarioResult =>
  ({
    ...failedChaos,
    id: restartAfterKill.id,
    title: restartAfterKill.title,
    subject,
    state: 'passed',
    ...extra,
  }) as ScenarioResult;

describe('the recovery time table', () => {
  it('shows the time to resume per subject, a run that never resumed, and why the peers are not measured', () => {
    const text = renderRecoveryTime(
      [
        run('agentos-postgres', { criteria: [timeToResume(true, '160 ms', 160.4)] }),
        run('agentos-sqlite', {
          criteria: [timeToResume(false, '"resumer" never started a step after the sigkill')],
          state: 'failed',
          reasons: ['time-to-resume: invalid'],
        }),
        run('langgraph-sqlite', {
          peer: true,
          state: 'not-applicable',
          reason: 'langgraph-sqlite lacks tasks, leases',
        }),
      ],
      declared,
    ).join('\n');
    expect(text).toContain('## Recovery time');
    const title = `${restartAfterKill.title} (\`restart-after-kill\`)`;
    // Rows in the order the run took the subjects.
    expect(text).toContain(
      [
        `| ${title} | agentos-postgres | 160 ms | ≤ 1 s | ✅ pass |`,
        `| ${title} | agentos-sqlite | "resumer" never started a step after the sigkill | ≤ 1 s | ❌ fail |`,
        '',
      ].join('\n'),
    );
    expect(text).not.toContain('| langgraph-sqlite');
    // The peers the run took, and only those: no list of subjects is known beforehand.
    expect(text).toContain('Not measured on the peers (langgraph-sqlite): `restart-after-kill` does not apply to them');
  });

  it('is left out of a run without a scenario that measures it', () => {
    expect(renderRecoveryTime([failedChaos], declared)).toEqual([]);
    expect(renderRecoveryTime([run('agentos-sqlite', {})], [])).toEqual([]);
  });
});
