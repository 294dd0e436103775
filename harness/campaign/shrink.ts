import type { CampaignRun } from './run.js';
import type { Schedule, ScheduledFault } from './schedule.js';

/** Most candidates one shrink may try: each is one or two whole scenario runs. */
const MAX_ATTEMPTS = 30;

/**
 * Makes a violating schedule smaller while it still violates: drops whole workloads no fault needs, then faults one
 * at a time, then halves the work (commits, tool calls, steps). Greedy, like delta debugging's first pass: each
 * accepted step is kept, and the search goes on from the smaller schedule.
 */
export async function shrink(
  failing: Schedule,
  run: (candidate: Schedule) => Promise<CampaignRun>,
  onStep: (message: string) => void = () => undefined,
  signal?: AbortSignal,
): Promise<{ schedule: Schedule; reasons: string[]; attempts: number }> {
  let current = failing;
  let reasons: string[] = [];
  let attempts = 0;
  const tryCandidate = async (candidate: Schedule | undefined, what: string): Promise<boolean> => {
    if (!candidate || attempts >= MAX_ATTEMPTS || signal?.aborted || !runnable(candidate)) return false;
    attempts++;
    // Twice: a smaller schedule is kept only if it fails reliably, so the repro printed at the end fails again.
    const result = await run(candidate);
    if (result.verdict !== 'violation' || (await run(candidate)).verdict !== 'violation') return false;
    onStep(`still fails with ${what}`);
    current = candidate;
    reasons = result.reasons;
    return true;
  };
  for (let progress = true; progress && attempts < MAX_ATTEMPTS; ) {
    progress = false;
    for (const group of ['writer', 'tools', 'runner'] as const) {
      if (await tryCandidate(withoutGroup(current, group), `no ${group}`)) progress = true;
    }
    for (let i = current.faults.length - 1; i >= 0; i--) {
      const fault = current.faults[i]!;
      if (
        await tryCandidate(
          { ...current, faults: current.faults.filter((_, j) => j !== i) },
          `fault ${fault.kind} removed`,
        )
      )
        progress = true;
    }
    for (const knob of ['commits', 'tools', 'steps'] as const) {
      if (await tryCandidate(halved(current, knob), `${knob} halved`)) progress = true;
    }
  }
  return { schedule: current, reasons, attempts };
}

/** A schedule the runner can run: some workload, and every fault's target present. */
export function runnable(s: Schedule): boolean {
  if (s.writers === 0 && s.tools === 0 && s.steps === 0) return false;
  return s.faults.every((f) => {
    if (f.kind === 'kill' || f.kind === 'crash-point')
      return f.target === 'writer' ? s.writers > 0 : f.target === 'tools' ? s.tools > 0 : s.steps > 0;
    if (f.kind === 'stale-runner') return s.steps > 1 && f.after < s.steps;
    return s.writers > 0;
  });
}

function withoutGroup(s: Schedule, group: 'writer' | 'tools' | 'runner'): Schedule | undefined {
  if (group === 'writer') return s.writers > 0 ? { ...s, writers: 0 } : undefined;
  if (group === 'tools') return s.tools > 0 ? { ...s, tools: 0 } : undefined;
  return s.steps > 0 ? { ...s, steps: 0 } : undefined;
}

/** Half the work, with every fault's count kept within what the smaller run reaches. */
function halved(s: Schedule, knob: 'commits' | 'tools' | 'steps'): Schedule | undefined {
  const value = s[knob];
  // Commits with no writer are nothing to halve.
  if (knob === 'commits' && s.writers === 0) return undefined;
  const next = Math.floor(value / 2);
  if (value === 0 || next < (knob === 'steps' ? 2 : 1)) return undefined;
  const size = (group: string): number =>
    group === 'writer'
      ? s.writers * (knob === 'commits' ? next : s.commits)
      : group === 'tools'
        ? knob === 'tools'
          ? next
          : s.tools
        : knob === 'steps'
          ? next
          : s.steps;
  const faults = s.faults.map((f): ScheduledFault => {
    if (f.kind === 'kill') return { ...f, after: Math.min(f.after, Math.max(1, size(f.target) - 1)) };
    if (f.kind === 'crash-point') return { ...f, at: Math.min(f.at, Math.max(1, size(f.target))) };
    if (f.kind === 'stale-runner') return { ...f, after: Math.min(f.after, Math.max(1, size('runner') - 1)) };
    return { ...f, after: Math.min(f.after, Math.max(1, size('writer'))) };
  });
  return { ...s, [knob]: next, faults };
}
