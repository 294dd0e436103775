// The LangGraph checkpointer, a separate entry point: importing the layer (src/index.ts) never loads LangGraph.
export { AgentosSaver, type AgentosSaverOptions, type CheckpointEvidence, type TrimResult } from './saver.js';
export { ThreadBusyError, TaskEvidenceError } from './errors.js';
export { THREAD_LEASE_PREFIX } from './thread-leases.js';
