import { sha256Hex } from '../evidence.js';

/** What a step's idempotency key is made of; nothing else changes it. */
export interface IdempotencyKeyParts {
  /** The database's random salt (`AgentStore.taskStore.idempotencySalt()`), made with its schema. */
  salt: string;
  taskId: string;
  stepName: string;
  /** Which step of that name this is, counting from 0 among the task's steps of that name. */
  occurrence: number;
}

/**
 * A step's idempotency key, short enough for any API that takes one. Not its index: a release that adds, removes or
 * reorders other steps leaves it as it was, so a step resumed under the new release repeats its key.
 */
export function idempotencyKey({ salt, taskId, stepName, occurrence }: IdempotencyKeyParts): string {
  return `agentos-${sha256Hex(JSON.stringify([salt, taskId, stepName, occurrence])).slice(0, 40)}`;
}

/** Which occurrence of its name the step at `index` is: how many steps before it have the same name. */
export function occurrenceOf(steps: readonly { name: string }[], index: number): number {
  const name = steps[index]?.name;
  return steps.slice(0, index).filter((step) => step.name === name).length;
}
