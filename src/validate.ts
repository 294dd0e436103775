import { AgentOSError } from './errors.js';

/** Malformed argument: an empty id, a negative duration, … */
export class InvalidArgumentError extends AgentOSError {
  override name = 'InvalidArgumentError';
}

const MAX_ID_LENGTH = 512;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Ids are non-empty strings without control characters, at most 512 characters long. */
export function assertId(what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError(`${what} must be a non-empty string, got ${describe(value)}`);
  }
  if (value.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(`${what} must be at most ${MAX_ID_LENGTH} characters, got ${value.length}`);
  }
  if (CONTROL_CHARS.test(value)) {
    throw new InvalidArgumentError(`${what} must not contain control characters, got ${JSON.stringify(value)}`);
  }
}

/**
 * An id the layer also stores inside a longer name, `prefix` + id (a task's lease "task:<taskId>", the sweep's
 * "lease-recovery:task:<taskId>"): checked against the limit less the longest prefix, so it never fails later inside.
 */
export function assertPrefixedId(
  what: string,
  value: unknown,
  prefix: string,
  placeholder: string = what,
): asserts value is string {
  const max = MAX_ID_LENGTH - prefix.length;
  if (typeof value === 'string' && value.length > max) {
    throw new InvalidArgumentError(
      `${what} must be at most ${max} characters (the layer stores it as "${prefix}<${placeholder}>", at most ${MAX_ID_LENGTH}), got ${value.length}`,
    );
  }
  assertId(what, value);
}

export function assertPositiveInt(what: string, value: unknown, { allowZero = false } = {}): asserts value is number {
  const min = allowZero ? 0 : 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(`${what} must be an integer ≥ ${min}, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a primitive here: objects took the other branch
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
