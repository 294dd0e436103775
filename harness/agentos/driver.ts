import {
  CheckpointManager,
  LLMOutputCache,
  LeaseManager,
  RecoverySweep,
  TaskRunner,
  ToolLedger,
} from '../../src/index.js';
import { ensureOwnershipItem } from '../../src/core/leases.js';
import { WORKER_TOOL_ENV } from '../workers/marker.js';
import type { AgentosBackend } from './backend.js';
import type { SubjectParts } from '../subject.js';

/** This layer as a subject: every service built by the same code over whichever store the backend opens. */
export function agentosParts(backend: AgentosBackend): Required<SubjectParts> {
  return {
    prepare: (config) => backend.prepare(config),

    async open(config, worker) {
      const opened = await backend.open(config, worker);
      const { db } = opened;
      const cm = new CheckpointManager(db);
      // Checkpoints written under a lease may carry evidence, verified inside the run folder.
      const fenced = new CheckpointManager(db, { baseDir: config.runDir });
      return {
        async commit(taskId, step, state) {
          const c = await cm.commit(cm.begin(taskId, step, state));
          return { id: c.id, seq: c.seq };
        },
        holdWriteLock: (holdMs, onHeld) => opened.holdWriteLock(holdMs, onHeld),
        leases: (options) => ({
          leases: new LeaseManager(db, options),
          checkpoints: fenced,
          ensureOwnershipItem: (itemId, taskId) => ensureOwnershipItem(db, itemId, taskId),
        }),
        sweep: (options) => new RecoverySweep(db, options),
        tools: new ToolLedger(db, { inheritEnv: WORKER_TOOL_ENV }),
        cache: new LLMOutputCache(db),
        runner: (definition, options, baseDir) =>
          new TaskRunner(db, new CheckpointManager(db, { baseDir }), definition, options),
        async saver(options) {
          const { AgentosSaver } = await import('../../src/langgraph/index.js');
          return new AgentosSaver(db, options);
        },
        close: () => opened.close(),
      };
    },

    teardown: (config) => backend.teardown(config),
  };
}
