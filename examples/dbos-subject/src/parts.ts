import { DBOS } from '@dbos-inc/dbos-sdk';
import type { SubjectParts } from 'agentos-chaos/harness';
import { readFinalState } from './final-state.js';
import { stderrLogger } from './logger.js';
import { dbosRunner } from './runner.js';
import { APP_NAME, dropSystemSchema, holdProgressTables, systemDatabaseUrl, systemSchema } from './system-database.js';
import { commitWorkflow } from './workflows.js';

/**
 * DBOS Transact as a subject. Each run gets DBOS's system tables in a fresh schema of the run's server; each worker
 * process is one DBOS process on it, under DBOS's default executor id ("local", one machine): launching it recovers
 * the workflows a killed predecessor left PENDING, as DBOS documents for a restart on a single server.
 */
export const parts: Required<SubjectParts> = {
  async prepare(config) {
    // Created once here, so the workers' launches find the schema current (and need not migrate it at once).
    await DBOS.migrate(systemDatabaseUrl(config, 'harness'), { schemaName: systemSchema(config) });
    return {
      read: () => readFinalState(config),
      async close() {
        // Nothing is held between reads.
      },
    };
  },

  async open(config, worker) {
    DBOS.setConfig({
      name: APP_NAME,
      systemDatabaseUrl: systemDatabaseUrl(config, worker.workerId),
      systemDatabaseSchemaName: systemSchema(config),
      runMigrations: false,
      logger: stderrLogger,
    });
    await DBOS.launch();
    return {
      async commit(taskId, step, state) {
        // One workflow per commit, under an id its token makes unique; acknowledged once DBOS recorded its outcome.
        const workflowID = `${taskId}/${state.token}`;
        await (await DBOS.startWorkflow(commitWorkflow, { workflowID })(taskId, step, state)).getResult();
        return { id: workflowID };
      },
      holdWriteLock: (holdMs, onHeld) => holdProgressTables(config, worker.workerId, holdMs, onHeld),
      runner: (definition, options) =>
        dbosRunner(definition, (step, recorded) => options.onStepFinished?.(step, recorded)),
      close: () => DBOS.shutdown(),
    };
  },

  teardown: (config) => dropSystemSchema(config),
};
