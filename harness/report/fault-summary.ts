import type { FaultLogEntry, VacuityResult } from '../result.js';

/** A fault log or vacuity guard longer than this is summarised; a shorter one is shown entry by entry. */
export const LONG_LOG = 20;

/** Pids listed in a summary line before the rest are elided. */
const PIDS_SHOWN = 5;

/** The family of a numbered target: "agentos-7" → "agentos" (runs 1 … n of one chain); others are their own. */
export const family = (target: string): string => target.replace(/-\d+$/, '');

/** "agentos-1 … agentos-20" for several targets of a family, the target itself for one. */
export function targetSpan(targets: readonly string[]): string {
  const unique = [...new Set(targets)];
  return unique.length === 1 ? unique[0]! : `${unique[0]} … ${unique.at(-1)}`;
}

/** Groups in first-seen order by a key. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}

/** "1–20" or "1–3, 7, 9–10": ascending numbers as ranges. */
function ranges(numbers: readonly number[]): string {
  const out: string[] = [];
  let start = numbers[0];
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i]!;
    if (numbers[i + 1] === n + 1) continue;
    out.push(start === n ? `${n}` : `${start}–${n}`);
    start = numbers[i + 1];
  }
  return out.join(', ');
}

/**
 * One line per kind of fault and family of targets: how many were armed, injected and healed, when (ms since
 * `t0`), and the pids their details name. `sigkill × 20 on agentos-1 … agentos-20: armed 20 …; injected 20, from …`
 */
export function summariseFaultLog(faults: readonly FaultLogEntry[], t0: number): string[] {
  return groupBy(faults, (f) => `${f.fault} ${family(f.target)}`).map((group) => {
    const targets = group.map((f) => f.target);
    const parts: string[] = [];
    const armed = group.filter((f) => f.action === 'armed');
    if (armed.length > 0) {
      const events = armed.map((f) => /event #(\d+)/.exec(f.detail)?.[1]).map(Number);
      const known = events.every((n) => Number.isInteger(n) && n > 0);
      const [lo, hi] = [Math.min(...events), Math.max(...events)];
      parts.push(
        `armed ${armed.length}${known ? ` (on event #${lo === hi ? lo : `${lo}–#${hi}`} of ${armed.length > 1 ? 'each' : 'its'} trigger)` : ''}`,
      );
    }
    for (const action of ['injected', 'healed'] as const) {
      const acted = group.filter((f) => f.action === action);
      if (acted.length === 0) continue;
      const times = acted.map((f) => Math.round(f.t - t0));
      const when = acted.length === 1 ? `at ${times[0]} ms` : `from ${Math.min(...times)} to ${Math.max(...times)} ms`;
      const pids = acted.flatMap((f) => [...f.detail.matchAll(/pid (\d+)/g)].map((m) => m[1]!));
      const shown =
        pids.length > PIDS_SHOWN + 1 ? `${pids.slice(0, PIDS_SHOWN).join(', ')} … ${pids.at(-1)}` : pids.join(', ');
      parts.push(`${action} ${acted.length}, ${when}${pids.length > 0 ? ` (pids ${shown})` : ''}`);
    }
    // How many faults: their injections, or (none injected) how many were armed.
    const count = Math.max(armed.length, group.filter((f) => f.action === 'injected').length);
    return `- ${group[0]!.fault}${count > 1 ? ` × ${count}` : ''} on ${targetSpan(targets)}: ${parts.join('; ')}`;
  });
}

/**
 * The vacuity guard in groups: faults of one kind on one family of targets, judged alike (the same detail once the
 * target is named by its family), on one line. A fault that did not fire always has a line of its own.
 */
export function summariseVacuity(vacuity: readonly VacuityResult[]): string[] {
  const numbered = vacuity.map((v, i) => ({ ...v, n: i + 1 }));
  const generic = (v: VacuityResult): string => v.detail.replaceAll(v.target, `${family(v.target)}-N`);
  const groups = groupBy(numbered, (v) =>
    v.fired ? `${v.fault} ${family(v.target)} ${generic(v)}` : `not fired ${v.n}`,
  );
  return groups
    .sort((a, b) => a[0]!.n - b[0]!.n)
    .map((group) => {
      const first = group[0]!;
      const mark = first.fired ? '✅' : '❌';
      if (group.length === 1) return `- ${mark} fault ${first.n}, ${first.fault} on ${first.target}: ${first.detail}`;
      return `- ${mark} faults ${ranges(group.map((v) => v.n))}, ${first.fault} on ${targetSpan(group.map((v) => v.target))}: each ${generic(first)}`;
    });
}

/**
 * When faults took effect, for a chart's caption: each injection and heal, or for a long log one phrase per kind of
 * fault, family of targets and action ("sigkill × 20 on agentos-1 … agentos-20 injected from 3000 to 22000 ms").
 */
export function faultTimes(acted: readonly FaultLogEntry[], t0: number): string {
  const at = (f: FaultLogEntry): number => Math.round(f.t - t0);
  if (acted.length <= LONG_LOG)
    return acted.map((f) => `${f.fault} on ${f.target} ${f.action} at ${at(f)} ms`).join('; ');
  return groupBy(acted, (f) => `${f.fault} ${family(f.target)} ${f.action}`)
    .map((group) => {
      const f = group[0]!;
      if (group.length === 1) return `${f.fault} on ${f.target} ${f.action} at ${at(f)} ms`;
      const times = group.map(at);
      return `${f.fault} × ${group.length} on ${targetSpan(group.map((g) => g.target))} ${f.action} from ${Math.min(...times)} to ${Math.max(...times)} ms`;
    })
    .join('; ');
}
