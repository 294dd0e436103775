import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Durability, LLMRequest } from '../../src/index.js';
import { graphileWorkerSubjects, pgBossSubjects, pgLeaseSubjects, pgSubjects } from './pg-subjects.js';
import { BENCH_STATE, saverPutter } from './saver-put.js';
import { pgGrowthSubjects, sqliteGrowthSubjects } from './thread-growth.js';
import { pgWorkGrowthSubjects } from './pg-work-growth.js';
import { probeSubjects } from './probe-subjects.js';
import { canSlice } from './slicing.js';
import { fixtureOf } from './fixtures.js';

/**
 * The layer, imported when a subject is prepared (in its worker), not when this module is: validating declarations
 * reads the subjects' names only, and must not load better-sqlite3.
 */
const layer = () => import('../../src/index.js');

export interface SubjectContext {
  dir: string;
  durability: Durability;
  /** The PostgreSQL server of the run (undefined: the PG* variables); only PostgreSQL subjects use it. */
  pgUrl: string | undefined;
  /** The variant's own schema on that server (PostgreSQL subjects). */
  schema: string;
  /** Where the benchmark's variants share their fixtures (see fixtures.ts). */
  fixturesDir: string;
}

/** One operation to time, prepared in a fresh folder; `run` is called once per sample. */
export interface Subject {
  run: () => unknown;
  teardown: () => unknown;
}

/** Operations the benchmarks can time, by name. Each runs inside a fresh worker process. */
export const subjects = {
  /** begin + commit of one small checkpoint (no evidence). */
  'checkpoint-commit': async ({ dir, durability }: SubjectContext): Promise<Subject> => {
    const { CheckpointManager, openDatabase } = await layer();
    const db = openDatabase(join(dir, 'bench.db'), { durability });
    const cm = new CheckpointManager(db);
    let i = 0;
    return {
      run: () => cm.commit(cm.begin('bench-task', 'step', { ...BENCH_STATE, i: i++ })),
      teardown: () => db.close(),
    };
  },

  /** verify() of a stored checkpoint carrying file-exists and file-hash evidence. */
  'checkpoint-verify': async ({ dir, durability }: SubjectContext): Promise<Subject> => {
    const { CheckpointManager, evidence, openDatabase, sha256Hex } = await layer();
    const db = openDatabase(join(dir, 'bench.db'), { durability });
    const cm = new CheckpointManager(db, { baseDir: dir });
    writeFileSync(join(dir, 'artifact.txt'), 'artifact body\n');
    const pack = evidence.pack(
      evidence.fileExists('artifact.txt'),
      evidence.fileHash('artifact.txt', sha256Hex('artifact body\n')),
    );
    const ids: number[] = [];
    for (let i = 0; i < 100; i++) ids.push((await cm.commit(cm.begin('bench-task', `s${i}`, BENCH_STATE), pack)).id);
    let i = 0;
    return {
      run: async () => {
        if (!(await cm.verify(ids[i++ % ids.length]!)).ok) throw new Error('verification failed');
      },
      teardown: () => db.close(),
    };
  },

  /** get() of a cached LLM response (a hit), over 1,000 warm entries. */
  'cache-hit': async ({ dir, durability }: SubjectContext): Promise<Subject> => {
    const { LLMOutputCache, openDatabase } = await layer();
    const db = openDatabase(join(dir, 'bench.db'), { durability });
    const cache = new LLMOutputCache(db);
    const requests: LLMRequest[] = Array.from({ length: 1000 }, (_, i) => ({
      model: 'bench-model',
      prompt: `prompt ${i}`,
      parameters: { temperature: 0 },
    }));
    for (const r of requests) await cache.put(r, { text: `answer ${JSON.stringify(r.prompt)}`, usage: { tokens: 42 } });
    let i = 0;
    return {
      run: async () => {
        if ((await cache.get(requests[i++ % requests.length]!)) === undefined) throw new Error('cache miss');
      },
      teardown: () => db.close(),
    };
  },

  /** run() of a recorded tool call: the replay path (the command does not execute). */
  'tool-replay': async ({ dir, durability }: SubjectContext): Promise<Subject> => {
    const { ToolLedger, openDatabase } = await layer();
    const db = openDatabase(join(dir, 'bench.db'), { durability });
    const ledger = new ToolLedger(db);
    const commands = Array.from({ length: 100 }, (_, i) => `echo replay-${i}`);
    for (const c of commands) await ledger.run(c, { cwd: dir });
    let i = 0;
    return {
      run: async () => {
        if (!(await ledger.run(commands[i++ % commands.length]!, { cwd: dir })).replayed)
          throw new Error('executed instead of replayed');
      },
      teardown: () => db.close(),
    };
  },

  /** begin → commit (with file-exists evidence) → verify → getLast. */
  'checkpoint-workflow': async ({ dir, durability }: SubjectContext): Promise<Subject> => {
    const { CheckpointManager, evidence, openDatabase } = await layer();
    const db = openDatabase(join(dir, 'bench.db'), { durability });
    const cm = new CheckpointManager(db, { baseDir: dir });
    writeFileSync(join(dir, 'artifact.txt'), 'x');
    const pack = evidence.pack(evidence.fileExists('artifact.txt'));
    let i = 0;
    return {
      run: async () => {
        const c = await cm.commit(cm.begin('bench-task', 'step', { ...BENCH_STATE, i: i++ }), pack);
        await cm.verify(c.id);
        if ((await cm.getLast('bench-task'))?.id !== c.id) throw new Error('getLast did not return the new checkpoint');
      },
      teardown: () => db.close(),
    };
  },

  /** The peer: LangGraph's SqliteSaver.put of a checkpoint holding the same state, under the same pragmas. */
  'langgraph-sqlitesaver-put': async ({ dir, durability }: SubjectContext): Promise<Subject> => {
    const { connectionPragmas } = await layer();
    const { SqliteSaver } = await import('@langchain/langgraph-checkpoint-sqlite');
    const { emptyCheckpoint, uuid6 } = await import('@langchain/langgraph-checkpoint');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(dir, 'peer.db'));
    for (const pragma of connectionPragmas(durability)) db.pragma(pragma);
    const saver = new SqliteSaver(db);
    const config = { configurable: { thread_id: 'bench-thread', checkpoint_ns: '' } };
    let i = 0;
    return {
      run: () => {
        const checkpoint = {
          ...emptyCheckpoint(),
          id: uuid6(-1),
          channel_values: { state: { ...BENCH_STATE, i: i++ } },
        };
        return saver.put(config, checkpoint, { source: 'loop', step: i, parents: {} });
      },
      teardown: () => db.close(),
    };
  },

  /**
   * AgentosSaver.put of the same checkpoint, under the layer's pragmas (the peer's, plus a busy timeout): the thread's
   * lease is held (taken at the first put), each put is fenced by it, and the channel the checkpoint changed is stored.
   */
  'agentos-saver-put': async ({ dir, durability }: SubjectContext): Promise<Subject> => {
    const { openDatabase } = await layer();
    const { AgentosSaver } = await import('../../src/langgraph/index.js');
    const db = openDatabase(join(dir, 'bench.db'), { durability });
    return {
      run: await saverPutter(new AgentosSaver(db), BENCH_STATE),
      teardown: () => db.close(),
    };
  },
  ...sqliteGrowthSubjects,
  ...pgSubjects,
  ...pgLeaseSubjects,
  ...graphileWorkerSubjects,
  ...pgBossSubjects,
  ...pgGrowthSubjects,
  ...pgWorkGrowthSubjects,
  ...probeSubjects,
} as const;

/** The subjects that need a PostgreSQL server: a benchmark with one of them runs only when the run has a server. */
export const PG_BENCH_SUBJECTS = new Set<string>([
  ...Object.keys(pgSubjects),
  ...Object.keys(pgLeaseSubjects),
  ...Object.keys(graphileWorkerSubjects),
  ...Object.keys(pgBossSubjects),
  ...Object.keys(pgGrowthSubjects),
  ...Object.keys(pgWorkGrowthSubjects),
]);

export type SubjectName = keyof typeof subjects;
export const SUBJECT_NAMES = Object.keys(subjects) as [SubjectName, ...SubjectName[]];

/** Whether a subject's variant can be timed in slices alternating with the other variants (see slicing.ts). */
export const isSliceable = (name: SubjectName): boolean => canSlice(subjects[name]);
/** The fixture a subject's variants start from, if any (see fixtures.ts). */
export const subjectFixture = (name: SubjectName): string | undefined => fixtureOf(subjects[name]);
