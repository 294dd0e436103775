import type { RunnableConfig } from '@langchain/core/runnables';
import { RECOVERY_TASK_PREFIX } from '../core/recovery.js';
import { InvalidArgumentError, assertPrefixedId } from '../validate.js';
import { THREAD_LEASE_PREFIX } from './thread-leases.js';

/** Where a LangGraph config points: a thread, a checkpoint namespace and, optionally, one checkpoint. */
export interface CheckpointAddress {
  threadId: string;
  ns: string;
  checkpointId: string | undefined;
}

/** config.configurable, or an error naming the method: every write needs one. */
export function configurableOf(config: RunnableConfig, method: string): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a caller may be untyped JavaScript
  const configurable: unknown = config?.configurable;
  if (typeof configurable !== 'object' || configurable === null) {
    throw new InvalidArgumentError(
      `AgentosSaver.${method}: config.configurable is missing; pass { configurable: { thread_id } }`,
    );
  }
  return configurable as Record<string, unknown>;
}

/**
 * The address a write goes to. thread_id is required (a string, or a number used as its decimal string);
 * checkpoint_ns defaults to the root namespace "".
 */
export function addressOf(config: RunnableConfig, method: string): CheckpointAddress {
  const configurable = configurableOf(config, method);
  const threadId = threadIdOf(configurable.thread_id, method);
  if (threadId === undefined) {
    throw new InvalidArgumentError(
      `AgentosSaver.${method}: config.configurable.thread_id is missing; every checkpoint belongs to a thread`,
    );
  }
  return { threadId, ns: nsOf(configurable.checkpoint_ns, method), checkpointId: checkpointIdOf(configurable, method) };
}

/** The address a read looks at, or undefined when the config names no thread (such a read finds nothing). */
export function readAddressOf(config: RunnableConfig, method: string): CheckpointAddress | undefined {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a caller may be untyped JavaScript
  const configurable: Record<string, unknown> = config?.configurable ?? {};
  const threadId = threadIdOf(configurable.thread_id, method);
  if (threadId === undefined) return undefined;
  return { threadId, ns: nsOf(configurable.checkpoint_ns, method), checkpointId: checkpointIdOf(configurable, method) };
}

export function threadIdOf(value: unknown, method: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const threadId = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  // Its longest form: the sweep's record of the thread's lease, "lease-recovery:thread:<thread_id>".
  const what = `AgentosSaver.${method}: config.configurable.thread_id`;
  assertPrefixedId(what, threadId, `${RECOVERY_TASK_PREFIX}${THREAD_LEASE_PREFIX}`, 'thread_id');
  return threadId;
}

function nsOf(value: unknown, method: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(
      `AgentosSaver.${method}: config.configurable.checkpoint_ns must be a string ("" for the root graph), got ${typeof value}`,
    );
  }
  return value;
}

/** checkpoint_id, or the older thread_ts LangGraph still accepts. */
function checkpointIdOf(configurable: Record<string, unknown>, method: string): string | undefined {
  // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty checkpoint_id means none, as in LangGraph
  const value = configurable.checkpoint_id || configurable.thread_ts;
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(
      `AgentosSaver.${method}: config.configurable.checkpoint_id must be a string, got ${typeof value}`,
    );
  }
  return value;
}
