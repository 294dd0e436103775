// The harness's public API (`agentos-chaos/harness`): what a user's declaration files import.
export { defineBenchmark, defineScenario, defineStress } from './define.js';
export type { BenchmarkInput, ResolvedBenchmark, ResolvedScenario, ScenarioInput } from './schema.js';
