import type { TestResult } from '../../result.js';
import { applicable, countRuns } from '../counts.js';
import type { RunSummary } from '../failures.js';
import { painter } from './style.js';

export interface SummaryInput {
  summary: RunSummary;
  results: readonly TestResult[];
  /** The declared tests' run time; the campaign's own is in summary.campaign. */
  durationMs: number;
  seed: number;
  /** Files written, relative to the repository ("reports/acceptance.md"). */
  written: readonly string[];
  /** For a partial run: why it is partial, and the last full run's files it left in place (relative paths). */
  partial?: { why: string; kept: readonly string[] };
  color: boolean;
}

/**
 * The lines a run ends with, the same as the top of the report: the verdict, every failed test with its causes, the
 * workers' errors and its replay command, missed targets, alerts that would fire, and where the report is.
 */
export function renderSummary(input: SummaryInput): string {
  const paint = painter(input.color);
  const { summary, results } = input;
  const counts = countRuns(results, summary.missing);
  const { passed, notApplicable } = counts;
  const shouldPass = applicable(counts);
  const campaign = summary.campaign;
  const campaignFailed = campaign !== undefined && campaign.violations.length + campaign.unjudged.length > 0;
  const ok = summary.failed.length === 0 && summary.missing.length === 0 && passed === shouldPass && !campaignFailed;
  const out: string[] = [''];
  const tests = `${passed}/${shouldPass} passed${counts.failed > 0 ? `, ${counts.failed} failed` : ''}${notApplicable > 0 ? `, ${notApplicable} not applicable (not run)` : ''}`;
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const declared = shouldPass > 0 ? `${tests} in ${s(input.durationMs)}` : 'no declared test';
  const invariants = campaign
    ? `; campaign: ${campaignFailed ? `${campaign.violations.length} violation(s), ${campaign.unjudged.length} not judged` : 'no violation'} in ${campaign.runs} runs in ${s(campaign.durationMs)}`
    : '';
  const all = campaign && shouldPass > 0 ? `${s(input.durationMs + campaign.durationMs)} in all, ` : '';
  const verdict = `${declared}${invariants} (${all}seed ${input.seed})`;
  out.push(ok ? paint(['bold', 'green'], `✓ ${verdict}`) : paint(['bold', 'red'], `✗ ${verdict}`));
  if (summary.failed.length > 0) {
    out.push('', paint('bold', `Failed (${summary.failed.length}):`));
    for (const f of summary.failed) {
      out.push(`  ${paint('red', '✗')} ${paint('bold', f.id)} — ${f.title}`);
      for (const line of [...f.causes, ...f.harness, ...f.evidence.slice(0, 3)]) out.push(`      ${line}`);
      out.push(`      replay: ${paint('cyan', f.replay)}${f.runDir ? `  (run folder kept: ${f.runDir})` : ''}`);
    }
  }
  if (campaign && campaignFailed) {
    out.push(
      '',
      paint(
        'bold',
        `Invariant violations in the fault campaign (${campaign.violations.length}${campaign.unjudged.length > 0 ? `, ${campaign.unjudged.length} runs not judged` : ''}):`,
      ),
    );
    for (const v of [...campaign.violations, ...campaign.unjudged])
      out.push(`  ${paint('red', '✗')} ${v.reason}`, `      replay: ${paint('cyan', v.repro)}`);
  }
  if (summary.missing.length > 0)
    out.push('', paint('red', `No result (interrupted or timed out): ${summary.missing.join(', ')}`));
  if (summary.missed.length > 0) {
    out.push('', paint('bold', `Targets missed (${summary.missed.length}), reported, not failing the run:`));
    for (const m of summary.missed)
      out.push(
        `  ${paint('yellow', '⚠')} ${m.id ?? m.title}: ${m.description} — target ${m.ours}, measured ${m.measured}`,
      );
  }
  if (summary.alerts.length > 0) {
    out.push('', paint('bold', `Alerts that would fire (${summary.alerts.length}):`));
    for (const a of summary.alerts)
      out.push(`  ${paint('yellow', '🔔')} ${a.alert} (${a.severity}, ${a.threshold}): ${a.where} — ${a.measured}`);
  }
  if (notApplicable > 0) {
    out.push(
      '',
      `Not applicable here (${notApplicable}): ${summary.notApplicable.map((n) => `${n.id} (${n.reason})`).join('; ')}`,
    );
  }
  const [report, ...others] = input.written;
  if (report)
    out.push('', `Report: ${paint('bold', report)}${others.length > 0 ? ` (also wrote ${others.join(', ')})` : ''}`);
  if (report && input.partial) {
    const { why, kept } = input.partial;
    out.push(
      `Partial run (${why}): wrote ${report}; ${kept.length > 0 ? `${[kept.slice(0, -1).join(', '), kept.at(-1)].filter(Boolean).join(' and ')} (the last full run) ${kept.length > 1 ? 'were' : 'was'} left as ${kept.length > 1 ? 'they were' : 'it was'}` : 'no full run’s report was there to keep'}.`,
    );
  }
  return `${out.join('\n')}\n`;
}

export interface InterruptInput {
  /** The test that was running ("chaos/kill9-recovery"), if one was. */
  stopped: string | undefined;
  finished: number;
  /** Selected tests without a result, the stopped one included. */
  unfinished: number;
  /** The report left in place, if there is one. */
  previousReport: string | undefined;
}

/** What Ctrl-C stopped and what it kept. */
export function renderInterrupted(input: InterruptInput): string {
  return [
    '',
    `Interrupted. Stopped: ${input.stopped ? `${input.stopped} (its processes reaped, its run folder removed)` : 'the run between two tests'}; ` +
      `${input.finished} test(s) had finished, ${input.unfinished - (input.stopped && input.unfinished > 0 ? 1 : 0)} did not run.`,
    `Kept: ${input.previousReport ? `the previous report, ${input.previousReport}, as it was` : 'nothing: no report existed'}; this run's results were not written.`,
    '',
  ].join('\n');
}
