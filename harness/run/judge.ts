import { worst } from '../checks/check.js';
import type { CriterionResult, Outcome } from '../result.js';

/**
 * The verdict of a run, shared by scenarios, stress tests and benchmarks: failed when the harness found a reason
 * (a timeout, a fault that did not fire, a survivor) or a gate is not valid; targets are reported, never failing.
 */
export function verdict(criteria: readonly CriterionResult[], harnessReasons: readonly string[]): Outcome {
  const gates = criteria.filter((c) => c.kind === 'gate');
  const reasons = [...harnessReasons];
  for (const c of gates) {
    if (c.valid !== true)
      reasons.push(
        `${c.id}: ${c.valid === false ? 'invalid' : 'unknown'} — measured ${c.measured}${c.details ? ` (${c.details})` : ''}`,
      );
  }
  return reasons.length > 0 || worst(gates.map((c) => c.valid)) !== true
    ? { state: 'failed', reasons }
    : { state: 'passed' };
}
