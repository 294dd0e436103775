import type { Validity } from './checks/check.js';
import type { LatencySummary } from './recorder.js';

export interface CriterionResult {
  id: string;
  /** A gate failing fails the test; a target missed is reported only. */
  kind: 'gate' | 'target';
  description: string;
  seed: string;
  ours: string;
  valid: Validity;
  measured: string;
  details?: string;
  data?: Record<string, number>;
}

export interface FaultLogEntry {
  t: number;
  fault: string;
  target: string;
  action: 'armed' | 'injected' | 'healed';
  detail: string;
}

export interface VacuityResult {
  fault: string;
  target: string;
  fired: boolean;
  detail: string;
}

export interface WorkerSummary {
  id: string;
  group: string;
  pid: number;
  exitCode: number | null;
  signal: string | null;
  peakRssKb: number | null;
}

/** One benchmark variant's latencies, from the samples tinybench retained in a fresh process. */
export interface BenchMeasurement {
  variant: string;
  subject: string;
  durability: string;
  peer: boolean;
  summary: LatencySummary;
  opsPerSec: number;
  /** At most 2,000 samples (every k-th of the sorted samples, which keeps the distribution), for comparisons across commits. */
  samples: number[];
}

/** The outcome of one declared test, keyed on state. */
export type ScenarioResult = {
  id: string;
  title: string;
  category: 'chaos' | 'bench' | 'stress';
  measurements: BenchMeasurement[];
  seedTest: string;
  purpose: string;
  procedure: string[];
  seed: number;
  durationMs: number;
  criteria: CriterionResult[];
  faults: FaultLogEntry[];
  vacuity: VacuityResult[];
  workers: WorkerSummary[];
  survivors: number[];
  historyFile: string;
  runDir: string;
} & ({ state: 'passed' } | { state: 'failed'; reasons: string[] });

/** The run folder a failed scenario or stress test keeps for inspection (database, side-effect files); benchmarks keep none. */
export function keptRunDir(result: ScenarioResult): string | undefined {
  return result.state === 'failed' && result.category !== 'bench' ? result.runDir : undefined;
}
