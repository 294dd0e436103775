import type { Subject } from './subjects.js';

/**
 * Marks a subject that keeps working between samples (a peer's background runner): it cannot idle while another
 * variant is timed, so the benchmark runner times it alone, after the variants it interleaves.
 */
export function unsliceable<A extends unknown[]>(
  factory: (...args: A) => Promise<Subject>,
): ((...args: A) => Promise<Subject>) & { sliceable: false } {
  // A function of its own: the factory may be shared with sliceable subjects.
  return Object.assign((...args: A) => factory(...args), { sliceable: false as const });
}

/** Whether a subject can be timed in slices alternating with other variants: any plain operation can. */
export function canSlice(factory: object): boolean {
  return !('sliceable' in factory && factory.sliceable === false);
}
