import type { ScenarioInput } from './schema.js';

/** Declares a chaos scenario. Returns its argument unchanged: it exists for type inference and editor help. */
export function defineScenario<const T extends ScenarioInput>(scenario: T): T {
  return scenario;
}
