import pg from 'pg';
import { Turnstile } from './turnstile.js';

/** One operation to time, on a fresh schema of the server; `run` is one sample. */
export interface BenchOperation {
  run: () => Promise<void>;
  teardown: () => Promise<void>;
}

/** Where an operation runs: the server and a schema of its own, dropped at teardown. */
export interface BenchContext {
  pgUrl: string;
  schema: string;
}

/** The state a step returns, recorded by the runtime each step. */
interface StepState {
  n: number;
  padding: string;
}
const INITIAL: StepState = { n: 0, padding: 'x'.repeat(64) };
/** More steps than a benchmark reaches: the task never runs out. */
const LAYER_STEPS = 100_000;

async function dropSchema({ pgUrl, schema }: BenchContext): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * One step of a DBOS workflow: the step's result recorded in DBOS's system tables (its ownership checked in the same
 * transaction), then the next step's check for a recorded result, up to its body.
 */
export async function dbosTaskStep(context: BenchContext): Promise<BenchOperation> {
  const { DBOS } = await import('@dbos-inc/dbos-sdk');
  const { stderrLogger } = await import('../src/logger.js');
  const gate = new Turnstile();
  const steps = DBOS.registerWorkflow(
    async (): Promise<number> => {
      let state: StepState | null = INITIAL;
      while (state !== null) {
        const before: StepState = state;
        state = await DBOS.runStep(async () => ((await gate.pass()) ? { ...before, n: before.n + 1 } : null), {
          name: 'step',
        });
      }
      return 0;
    },
    { name: 'bench-steps' },
  );
  DBOS.setConfig({
    name: 'agentos-chaos-bench',
    systemDatabaseUrl: context.pgUrl,
    systemDatabaseSchemaName: context.schema,
    logger: stderrLogger,
  });
  await DBOS.launch();
  const handle = await DBOS.startWorkflow(steps, { workflowID: 'bench-task' })();
  await gate.arrived();
  return {
    run: () => gate.next(),
    async teardown() {
      await gate.stop();
      await handle.getResult();
      await DBOS.shutdown();
      await dropSchema(context);
    },
  };
}

/**
 * One step of this layer's TaskRunner on PostgreSQL: the step's checkpoint committed under the task's lease (fenced),
 * then the lease renewed before the next step, up to its body.
 */
export async function layerTaskStep(context: BenchContext): Promise<BenchOperation> {
  const { openPgDatabase } = await import('agentos-chaos/postgres');
  const { CheckpointManager, TaskRunner } = await import('agentos-chaos');
  const db = await openPgDatabase({ connectionString: context.pgUrl, schema: context.schema, maxConnections: 4 });
  const gate = new Turnstile();
  const definition = {
    initialState: INITIAL,
    steps: Array.from({ length: LAYER_STEPS }, (_, i) => ({
      name: `step-${i + 1}`,
      async run(state: StepState): Promise<StepState> {
        if (!(await gate.pass())) throw new Error('the benchmark ended');
        return { ...state, n: state.n + 1 };
      },
    })),
  };
  const running = new TaskRunner(db, new CheckpointManager(db), definition, { workerId: 'bench' }).run('bench-task');
  await gate.arrived();
  return {
    run: () => gate.next(),
    async teardown() {
      await gate.stop();
      // The step told to stop fails the task: the run ends there.
      await running;
      await db.close();
      await dropSchema(context);
    },
  };
}
