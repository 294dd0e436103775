// The harness's public API (`agentos-chaos/harness`): what a user's declaration, subject and config files import.
export { defineBenchmark, defineScenario, defineStress } from './define.js';
export type { BenchmarkInput, ResolvedBenchmark, ResolvedScenario, ScenarioInput } from './schema.js';
export { CAPABILITIES, LAYER_CAPABILITIES, applicationName, defineSubject, loadedOnUse } from './subject.js';
export type {
  Capability,
  FinalState,
  LeaseExpiry,
  LeaseLogEntry,
  StoredCheckpoint,
  SubjectConfig,
  SubjectDefinition,
  SubjectHandle,
  SubjectParts,
  SubjectStore,
  SubjectTaskRunnerOptions,
  Sweep,
  WorkerSide,
} from './subject.js';
export { defineConfig, type ChaosConfig } from './project.js';
export { amcheck, type Queryable } from './postgres/amcheck.js';
