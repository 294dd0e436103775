import type { LoadedScenario } from '../load.js';
import type { CriterionResult, TestResult } from '../result.js';
import { keptRunDir, resultKey } from '../result.js';
import type { HistoryEntry } from '../workers/protocol.js';
import { isReportedOnly } from './criterion-mark.js';
import { memoryRows } from './memory.js';
import { readiness, type ReadinessRow } from './readiness.js';
import type { ResultsFile } from './results-file.js';
import { workerEvidence } from './worker-evidence.js';
import { PROGRAM } from '../program.js';

/** A failed test, told so that a reader can act on it without opening anything else. */
export interface FailedTest {
  id: string;
  title: string;
  category: TestResult['category'];
  /** Each gate that did not hold, by its description: what we expected and what was measured. */
  causes: string[];
  /** What the harness itself found: a timeout, a fault that did not fire, a survivor, an interruption. */
  harness: string[];
  /** Worker errors and exit reasons from the test's history. */
  evidence: string[];
  replay: string;
  runDir: string | undefined;
}

export interface MissedTarget {
  /** The test's id, or null for a run-wide target (memory). */
  id: string | null;
  title: string;
  description: string;
  ours: string;
  measured: string;
}

/** Everything a reader must see first: failures, missed targets, alerts that would fire, tests without a result. */
export interface RunSummary {
  failed: FailedTest[];
  missed: MissedTarget[];
  alerts: ReadinessRow[];
  missing: string[];
  notApplicable: { id: string; reason: string }[];
  /** What the randomized fault campaign found, when one ran: each violation or unjudged run, with its replay line. */
  campaign: { runs: number; violations: CampaignFinding[]; unjudged: CampaignFinding[] } | undefined;
}

export interface CampaignFinding {
  reason: string;
  /** The shortest replay known: the shrunk schedule's when there is one. */
  repro: string;
}

/** The anchor of a test's section in the report. */
export const testAnchor = (id: string): string => `test-${id}`;
export const READINESS_ANCHOR = 'production-readiness';
export const INVARIANTS_ANCHOR = 'invariants';

/** The command that runs this one test again with the same seed. */
export const replayCommand = (r: TestResult): string =>
  `${PROGRAM} --only ${r.id}${r.category !== 'bench' && r.subject && resultKey(r) !== r.id ? ` --subject ${r.subject}` : ''} --seed ${r.seed}`;

/** "<description> — expected <ours>; measured <measured>", or why it could not be judged. */
export function criterionCause(c: CriterionResult): string {
  const measured = `${c.measured}${c.details ? ` (${c.details})` : ''}`;
  return c.valid === 'unknown'
    ? `${c.description} — could not be judged: ${measured}`
    : `${c.description} — expected ${c.ours}; measured ${measured}`;
}

/** Why a test failed, from its result and its history. */
export function failedTest(r: TestResult, history: readonly HistoryEntry[] = []): FailedTest | undefined {
  if (r.state !== 'failed') return undefined;
  const gates = r.criteria.filter((c) => c.kind === 'gate' && c.valid !== true);
  // The runner words a failed gate as "<id>: invalid — …"; it is told here by its description instead.
  const harness = r.reasons.filter((reason) => !gates.some((c) => reason.startsWith(`${c.id}: `)));
  return {
    id: resultKey(r),
    title: r.title,
    category: r.category,
    causes: gates.map(criterionCause),
    harness,
    evidence: workerEvidence(history),
    replay: replayCommand(r),
    runDir: keptRunDir(r),
  };
}

/** Every target with a bound that was not met (measurements reported without a bound are not targets). */
export function missedTargets(file: ResultsFile): MissedTarget[] {
  const tests = file.results.flatMap((r) =>
    r.criteria
      .filter((c) => c.kind === 'target' && !isReportedOnly(c) && c.valid !== true)
      .map((c) => ({
        id: resultKey(r),
        title: r.title,
        description: c.description,
        ours: c.ours,
        measured: c.measured,
      })),
  );
  const memory = file.results.length === 0 ? [] : memoryRows(file).filter((m) => m.met === false);
  return [
    ...tests,
    ...memory.map((m) => ({ id: null, title: 'Memory', description: m.what, ours: m.target, measured: m.peak })),
  ];
}

export function summarizeRun(
  file: ResultsFile,
  declared: readonly LoadedScenario[],
  histories: ReadonlyMap<string, readonly HistoryEntry[]>,
): RunSummary {
  return {
    failed: file.results.flatMap((r) => failedTest(r, histories.get(resultKey(r))) ?? []),
    missed: missedTargets(file),
    alerts: file.results.length === 0 ? [] : readiness(file, declared).filter((row) => row.verdict === 'would alert'),
    missing: file.missing,
    notApplicable: file.results.flatMap((r) =>
      r.state === 'not-applicable' ? [{ id: resultKey(r), reason: r.reason }] : [],
    ),
    campaign: file.campaign && {
      runs: file.campaign.runs,
      violations: file.campaign.violations.map((v) => ({
        // The shrunk schedule's own failure beside its repro, so the two belong together.
        reason: v.shrunk?.reasons[0] ?? v.reasons[0] ?? 'violation',
        repro: v.shrunk?.repro ?? v.repro,
      })),
      unjudged: file.campaign.errors.map((e) => ({ reason: e.reasons[0] ?? 'not judged', repro: e.repro })),
    },
  };
}
