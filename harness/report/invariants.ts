import type { CampaignReport } from '../campaign/run.js';
import { table } from './table.js';

/** The report's Invariants section: what the randomized fault campaign ran, killed and checked, and what it found. */
export function renderInvariants(c: CampaignReport): string[] {
  const atPoints = Object.entries(c.kills.byPoint)
    .filter(([p]) => !p.startsWith('kill -9'))
    .reduce((n, [, k]) => n + k, 0);
  const out = [
    '## Invariants (randomized fault campaign)',
    '',
    `${c.runs} runs drawn from seed ${c.seed}${c.mutant ? ` against the **${c.mutant}** mutant (a deliberately broken build)` : ''} in ` +
      `${(c.durationMs / 1000).toFixed(1)} s: ${c.kills.total} kills, ${atPoints} of them at crash points; ${c.operations} operations checked. ` +
      `Each run draws writers, tool calls and a task runner, and one to three faults, and is judged by the checkers below.`,
    '',
    `**Verdict: ${c.violations.length === 0 && c.errors.length === 0 ? '✅ no violation' : `❌ ${c.violations.length} violation(s), ${c.errors.length} run(s) the harness could not judge`}.** ` +
      `Runs: ${c.verdicts.valid} valid, ${c.verdicts.violation} violating, ${c.verdicts.vacuous} whose fault did not bite (a kill that came after the work ended, say), ${c.verdicts.unknown} undecided, ${c.verdicts.error} not judged.`,
    '',
    table(
      ['Checker', 'Valid', 'Invalid', 'Undecided'],
      Object.entries(c.checkers).map(([id, v]) => [id, v.valid, v.invalid, v.unknown]),
    ),
    '',
    table(
      ['Kills by crash point', 'Runs'],
      Object.entries(c.kills.byPoint)
        .sort(([, a], [, b]) => b - a)
        .map(([point, n]) => [point, n]),
    ),
    '',
  ];
  for (const v of c.violations) {
    out.push(
      '**Violation.**',
      '',
      ...v.reasons.map((r) => `- ${r}`),
      '',
      'Replay it:',
      '',
      '```sh',
      v.repro,
      '```',
      '',
    );
    if (v.shrunk) out.push(`Shrunk in ${v.shrunk.attempts} tries to:`, '', '```sh', v.shrunk.repro, '```', '');
  }
  for (const e of c.errors) out.push(`**Not judged:** ${e.reasons.join('; ')} — replay with \`${e.repro}\``, '');
  return out;
}
