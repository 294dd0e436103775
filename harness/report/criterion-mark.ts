import type { CriterionResult } from '../result.js';

/** A target whose `ours` is "reported" states no bound: it shows a measurement, which can be neither met nor missed. */
export function isReportedOnly(criterion: Pick<CriterionResult, 'kind' | 'ours'>): boolean {
  return criterion.kind === 'target' && criterion.ours.trim().toLowerCase() === 'reported';
}

/** The verdict column of a criterion: pass / fail for a gate, met / missed for a target, measured or not for a report. */
export function criterionMark(criterion: Pick<CriterionResult, 'kind' | 'valid' | 'ours'>): string {
  const { kind, valid } = criterion;
  if (valid === 'unknown') return '❔ unknown';
  if (kind === 'gate') return valid ? '✅ pass' : '❌ fail';
  if (isReportedOnly(criterion)) return valid ? 'ℹ️ reported' : '⚠️ not measured';
  return valid ? '✅ target met' : '⚠️ target missed';
}
