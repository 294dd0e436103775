import { INHERITED_ENV } from '../../src/core/tool-call.js';

/**
 * Set in every worker's environment by the supervisor: a process a worker started in a process group of its own (a
 * tool call) outlives a SIGKILLed worker, and is found by this mark and reaped.
 */
export const MARKER_VARIABLE = 'AGENTOS_CHAOS_SUPERVISOR';

/** What a worker's tool calls inherit: the ledger's default, plus the mark, so they can be found and reaped. */
export const WORKER_TOOL_ENV: readonly string[] = [...INHERITED_ENV, MARKER_VARIABLE];
