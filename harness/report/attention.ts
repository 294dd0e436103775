import { INVARIANTS_ANCHOR, READINESS_ANCHOR, testAnchor, type FailedTest, type RunSummary } from './failures.js';
import { code } from './table.js';

const link = (title: string, id: string): string => `[${title}](#${testAnchor(id)})`;

/**
 * The block a reader meets first: every failed test with its cause and replay command, every alert that would
 * fire, every missed target, each linked to its section. Empty when there is nothing to attend to.
 */
export function renderAttention(summary: RunSummary, titles: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  if (summary.failed.length > 0) {
    out.push(`**❌ Failed (${summary.failed.length}):**`, '');
    for (const f of summary.failed) {
      const why = [...f.causes, ...f.harness][0] ?? 'see its section';
      const evidence = f.evidence[0]
        ? ` Workers: ${code(f.evidence[0])}${f.evidence.length > 1 ? ` (+${f.evidence.length - 1} more)` : ''}.`
        : '';
      out.push(`- ${link(f.title, f.id)} (${code(f.id)}): ${why}.${evidence} Replay: ${code(f.replay)}`);
    }
    out.push('');
  }
  const campaign = summary.campaign;
  if (campaign && campaign.violations.length + campaign.unjudged.length > 0) {
    out.push(
      `**❌ Invariant violations in the fault campaign (${campaign.violations.length} of ${campaign.runs} runs${campaign.unjudged.length > 0 ? `; ${campaign.unjudged.length} not judged` : ''})** — see [Invariants](#${INVARIANTS_ANCHOR}):`,
      '',
    );
    for (const v of [...campaign.violations, ...campaign.unjudged]) out.push(`- ${v.reason}. Replay: ${code(v.repro)}`);
    out.push('');
  }
  if (summary.missing.length > 0)
    out.push(`**❌ No result** (interrupted or timed out): ${summary.missing.join(', ')}.`, '');
  if (summary.alerts.length > 0) {
    out.push(
      `**🔔 Alerts that would fire (${summary.alerts.length})** — see [production readiness](#${READINESS_ANCHOR}):`,
      '',
    );
    for (const a of summary.alerts)
      out.push(`- ${code(a.alert)} (${a.severity}, ${a.threshold}): ${a.where} measured ${a.measured} — ${a.status}`);
    out.push('');
  }
  if (summary.missed.length > 0) {
    out.push(`**⚠️ Targets missed (${summary.missed.length})** — reported, not failing the run:`, '');
    for (const m of summary.missed) {
      const where = m.id === null ? `[${m.title}](#${READINESS_ANCHOR})` : link(titles.get(m.id) ?? m.title, m.id);
      out.push(`- ${where}: ${m.description} — target ${m.ours}, measured ${m.measured}`);
    }
    out.push('');
  }
  if (summary.notApplicable.length > 0) {
    out.push(
      `**➖ Not applicable here (${summary.notApplicable.length})** — not run, not counted as passed: ${summary.notApplicable.map((n) => `${link(n.id, n.id)} (${n.reason})`).join('; ')}.`,
      '',
    );
  }
  return out;
}

/** A failed test's "Why it failed": causes by description, the workers' errors and exits, the replay command. */
export function renderWhyFailed(f: FailedTest, historyFile: string | undefined): string[] {
  const out = ['**Why it failed.**', '', ...[...f.causes, ...f.harness].map((x) => `- ${x}`), ''];
  if (f.evidence.length > 0) {
    out.push(
      `What the workers reported${historyFile ? ` (from ${code(historyFile)})` : ''}:`,
      '',
      ...f.evidence.map((e) => `- ${code(e)}`),
      '',
    );
  }
  out.push(`Replay: ${code(f.replay)}${f.runDir ? ` · Run folder kept for inspection: ${code(f.runDir)}` : ''}`, '');
  return out;
}
