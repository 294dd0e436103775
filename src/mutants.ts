/**
 * Deliberately broken variants of the layer, for proving that the harness's checkers catch what they claim to
 * (`pnpm chaos --campaign N --mutant <name>`). Only the harness's mutant builds define AGENTOS_MUTANT (an esbuild
 * define, fixed at build time); in every other build, and at run time, nothing can switch one on.
 */
export const MUTANTS = {
  /** A checkpoint is acknowledged before its transaction commits (the insert runs 50 ms later). */
  'ack-before-commit': 'acknowledges a checkpoint before its transaction commits',
  /** Writes under a lease skip the epoch check (they are still logged). */
  'no-fencing': 'skips the epoch check of writes made under a lease',
  /** A tool call left in doubt by a crash is executed again. */
  'rerun-in-doubt': 're-executes a tool call left in doubt',
} as const;

export type Mutant = keyof typeof MUTANTS;

declare const AGENTOS_MUTANT: string | undefined;

/** The mutant this build is, or undefined (always, outside a mutant build). */
export const mutant: Mutant | undefined = typeof AGENTOS_MUTANT === 'string' ? (AGENTOS_MUTANT as Mutant) : undefined;
