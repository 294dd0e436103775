import type { AgentDatabase } from '../../src/index.js';
import type { History } from '../history.js';
import type { FinalState } from '../subject.js';
import type { CheckSpec } from '../schema.js';

export type Validity = true | false | 'unknown';

/** A check's verdict: valid, invalid, or unknown (it could not decide, e.g. it threw), with what it measured. */
export interface CheckOutcome {
  valid: Validity;
  measured: string;
  details?: string;
  /** The measured numbers behind `measured`, for reports that need values rather than text. */
  data?: Record<string, number>;
}

/**
 * What checks read: the history, the run folder (side-effect files), the subject's final state read through its own
 * API (when a criterion needs it), and, for the checks of this layer's SQLite file, that file. They change nothing.
 */
export interface CheckContext {
  history: History;
  runDir: string;
  final?: FinalState;
  /** Subjects with `sqlite-file`: this layer's SQLite file, open in the harness. */
  sqliteFile?: AgentDatabase;
}

/** The subject's final state; a check needing it throws (and so is 'unknown') when the run did not read it. */
export function finalState(context: CheckContext): FinalState {
  if (!context.final) throw new Error("the subject's final state was not read");
  return context.final;
}

export type Check<S extends CheckSpec> = (spec: S, context: CheckContext) => CheckOutcome;

/** The worst of several verdicts: any false is false, else any unknown is unknown. */
export function worst(values: Validity[]): Validity {
  if (values.includes(false)) return false;
  if (values.includes('unknown')) return 'unknown';
  return true;
}

/** Compares a number with optional equals/min/max bounds and says which bound it missed. */
export function compare(
  value: number,
  bounds: { equals?: number | undefined; min?: number | undefined; max?: number | undefined },
): { ok: boolean; expected: string } {
  const parts: string[] = [];
  let ok = true;
  if (bounds.equals !== undefined) {
    parts.push(`= ${bounds.equals}`);
    ok &&= value === bounds.equals;
  }
  if (bounds.min !== undefined) {
    parts.push(`≥ ${bounds.min}`);
    ok &&= value >= bounds.min;
  }
  if (bounds.max !== undefined) {
    parts.push(`≤ ${bounds.max}`);
    ok &&= value <= bounds.max;
  }
  return { ok, expected: parts.join(' and ') || 'any value' };
}
