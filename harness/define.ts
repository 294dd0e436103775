import type { BenchmarkInput, ScenarioInput } from './schema.js';

/** Declares a chaos scenario. Returns its argument unchanged: it exists for type inference and editor help. */
export function defineScenario<const T extends ScenarioInput>(scenario: T): T {
  return scenario;
}

/** Declares a stress test: a scenario (workers, faults, checks) that measures throughput and tails under load. */
export function defineStress<const T extends ScenarioInput>(stress: T): T {
  return stress;
}

/** Declares a benchmark: variants of one timed operation, each in a fresh process, with latency criteria. */
export function defineBenchmark<const T extends BenchmarkInput>(benchmark: T): T {
  return benchmark;
}
