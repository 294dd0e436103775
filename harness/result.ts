import type { Validity } from './checks/check.js';
import type { LatencySummary } from './recorder.js';
import { runKey } from './subject.js';

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

/** How a declared test ended: passed, failed with its reasons, or not applicable here (never counted as passed). */
export type Outcome =
  | { state: 'passed' }
  | { state: 'failed'; reasons: string[] }
  | { state: 'not-applicable'; reason: string };

/** What every result says about its declared test. */
interface ResultBase {
  id: string;
  title: string;
  seedTest: string;
  purpose: string;
  procedure: string[];
  seed: number;
  durationMs: number;
  criteria: CriterionResult[];
  workers: WorkerSummary[];
  survivors: number[];
}

/** A chaos scenario's or stress test's result: faults, their vacuity guard, the history and the run folder. */
export type ScenarioResult = ResultBase & {
  category: 'chaos' | 'stress';
  /** The system under test (absent in files written before subjects: agentos-sqlite). */
  subject?: string;
  /** A peer's verdict is a finding, reported beside ours; it never fails the run. */
  peer?: boolean;
  /** Criteria left out because the subject cannot answer their check ("<id>: <check> needs <capability>"). */
  notApplicable?: string[];
  faults: FaultLogEntry[];
  vacuity: VacuityResult[];
  historyFile: string;
  runDir: string;
} & Outcome;

/** A benchmark's result: one measurement per variant. */
export type BenchResult = ResultBase & {
  category: 'bench';
  measurements: BenchMeasurement[];
  /** How tinybench ran each variant, as declared. */
  options: { timeMs: number; warmupMs: number; iterations: number };
} & Outcome;

/** The outcome of one declared test, keyed on its category. */
export type TestResult = ScenarioResult | BenchResult;

/** A result's key: its id, with the subject when that is not the default ("kill9-recovery@agentos-postgres"). */
export function resultKey(result: TestResult): string {
  return runKey(result.id, result.category === 'bench' ? undefined : result.subject);
}

/** A peer's result: reported beside ours, never counted in our verdict. */
export function isPeer(result: TestResult): boolean {
  return result.category !== 'bench' && result.peer === true;
}

/** The run folder a failed scenario or stress test keeps for inspection (database, side-effect files); benchmarks keep none. */
export function keptRunDir(result: TestResult): string | undefined {
  return result.state === 'failed' && result.category !== 'bench' && !isPeer(result) ? result.runDir : undefined;
}
