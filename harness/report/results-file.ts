import type { ScenarioResult } from '../result.js';
import type { Environment } from './environment.js';

/** What `pnpm chaos` writes to reports/results.json (versioned, so readers can refuse what they do not know). */
export interface ResultsFile {
  schema: 'agentos-chaos/results@1';
  generatedAt: string;
  seed: number;
  selection: { only: string[] | null; category: string | null };
  declared: Record<string, number>;
  environment: Environment;
  durationMs: number;
  /** Peak RSS of the harness process (the vitest worker that ran the declared tests), kB. */
  harnessPeakRssKb: number | null;
  results: ScenarioResult[];
  /** Selected tests that reported no result (the run was interrupted or a test timed out in vitest). */
  missing: string[];
}
