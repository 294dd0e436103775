import type { CampaignReport } from '../campaign/run.js';
import type { TestResult } from '../result.js';
import type { Environment } from './environment.js';
import type { WorkerFloorsKb } from './memory-floor.js';

/**
 * What `pnpm chaos` writes to reports/results.json, or for a partial run to reports/partial-results.json (versioned, so
 * readers can refuse what they do not know).
 */
export interface ResultsFile {
  schema: 'agentos-chaos/results@1';
  generatedAt: string;
  seed: number;
  /**
   * `subjects`: absent in files written before subjects (agentos-sqlite only). `campaignOnly`: the run was a campaign
   * or a replay alone (--campaign, --replay), with no declared test.
   */
  selection: { only: string[] | null; category: string | null; subjects?: string[]; campaignOnly?: boolean };
  declared: Record<string, number>;
  environment: Environment;
  durationMs: number;
  /** Peak RSS of the harness process (the one that ran the declared tests), kB. */
  harnessPeakRssKb: number | null;
  /** What no worker can go below on this machine (absent in files written before it was measured). */
  workerFloorsKb?: WorkerFloorsKb;
  results: TestResult[];
  /** Selected tests that reported no result (the run was interrupted). */
  missing: string[];
  /** The randomized fault campaign, when one ran. */
  campaign?: CampaignReport;
}
