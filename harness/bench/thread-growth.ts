import { join } from 'node:path';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import type Database from 'better-sqlite3';
import type { Durability } from '../../src/index.js';
import { copyOfFixture, sharedFixture, withFixture } from './fixtures.js';
import { BENCH_STATE } from './saver-put.js';
import type { Subject, SubjectContext } from './subjects.js';
import {
  GROWTH_THREAD,
  PG_ID,
  PG_VERSION,
  SQLITE_ID,
  SQLITE_VERSION,
  historyId,
  historyVersion,
  putFirstStep,
} from './thread-history.js';

/** How many checkpoints the thread holds before timing starts. */
export const GROWTH_SIZES = { '1k': 1_000, '10k': 10_000, '100k': 100_000 } as const;
export type GrowthSize = keyof typeof GROWTH_SIZES;
/** What is timed: LangGraph's load of a checkpoint by id and of the latest, a page of its history, and a step's save. */
export const GROWTH_OPS = ['by-id', 'latest', 'list', 'put'] as const;
export type GrowthOp = (typeof GROWTH_OPS)[number];

/** A saver whose thread holds a history of `steps` checkpoints. */
interface FilledSaver {
  saver: BaseCheckpointSaver;
  teardown: () => Promise<void>;
}

/**
 * Fills each saver the same way: step 0 through its own put, then steps 1 … steps−1 as copies of the rows that put
 * wrote, made by one INSERT … SELECT per table in the saver's own tables, each copy with its step's checkpoint id,
 * parent id and channel version (inside the stored checkpoint too), so every row is what its put would have written.
 * 100,000 puts would take minutes; the copies take about a second. On SQLite the filled file is a fixture: made once
 * per saver and size, each variant opens a copy of it (see fixtures.ts). On PostgreSQL the filled schema is shared by
 * the saver's variants of that size, its tables analysed after the fill, as autovacuum would have after such growth
 * (it is off on the harness's servers).
 */
const sqliteFillers = {
  'agentos-sqlite': {
    make: async (path: string, durability: Durability, steps: number): Promise<void> => {
      const { openDatabase } = await import('../../src/index.js');
      const { AgentosSaver } = await import('../../src/langgraph/index.js');
      const db = openDatabase(path, { durability });
      try {
        const saver = new AgentosSaver(db);
        await putFirstStep(saver);
        // Given back, so that the variant's saver (another process) can take the thread at its first put.
        await saver.releaseAll();
      } finally {
        db.close();
      }
      const step = 'WITH RECURSIVE step(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM step WHERE n < @last)';
      const version = `'"' || ${SQLITE_VERSION('n')} || '"'`;
      await fillingConnection(path, (fill) => {
        fill
          .prepare(
            `${step} INSERT INTO langgraph_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id,
              type, checkpoint, channel_versions, metadata, evidence, verified, verification, verified_at, lease_item,
              lease_epoch, created_at)
            SELECT thread_id, checkpoint_ns, ${SQLITE_ID('n')}, ${SQLITE_ID('n - 1')}, type,
              CAST(replace(replace(CAST(checkpoint AS TEXT), @id, ${SQLITE_ID('n')}), @version, ${version}) AS BLOB),
              replace(channel_versions, @version, ${version}), metadata, evidence, verified, verification, verified_at,
              lease_item, lease_epoch, created_at
            FROM langgraph_checkpoints, step WHERE checkpoint_id = @id`,
          )
          .run(firstStep(steps));
        fill
          .prepare(
            `${step} INSERT INTO langgraph_blobs (thread_id, checkpoint_ns, channel, version, type, value)
            SELECT thread_id, checkpoint_ns, channel, ${SQLITE_VERSION('n')}, type, value
            FROM langgraph_blobs, step WHERE version = @bareVersion`,
          )
          .run(firstStep(steps));
      });
    },
    open: async (path: string, durability: Durability): Promise<FilledSaver> => {
      const { openDatabase } = await import('../../src/index.js');
      const { AgentosSaver } = await import('../../src/langgraph/index.js');
      const db = openDatabase(path, { durability });
      return { saver: new AgentosSaver(db), teardown: async () => db.close() };
    },
  },

  sqlitesaver: {
    make: async (path: string, durability: Durability, steps: number): Promise<void> => {
      const { saver, teardown } = await sqliteFillers.sqlitesaver.open(path, durability);
      try {
        await putFirstStep(saver);
      } finally {
        await teardown();
      }
      // Its checkpoint holds the channel values: one table.
      await fillingConnection(path, (fill) =>
        fill
          .prepare(
            `WITH RECURSIVE step(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM step WHERE n < @last)
        INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
        SELECT thread_id, checkpoint_ns, ${SQLITE_ID('n')}, ${SQLITE_ID('n - 1')}, type,
          CAST(replace(replace(CAST(checkpoint AS TEXT), @id, ${SQLITE_ID('n')}), @version,
            '"' || ${SQLITE_VERSION('n')} || '"') AS BLOB), metadata
        FROM checkpoints, step WHERE checkpoint_id = @id`,
          )
          .run(firstStep(steps)),
      );
    },
    open: async (path: string, durability: Durability): Promise<FilledSaver> => {
      const { connectionPragmas } = await import('../../src/index.js');
      const { SqliteSaver } = await import('@langchain/langgraph-checkpoint-sqlite');
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(path);
      for (const pragma of connectionPragmas(durability)) db.pragma(pragma);
      return { saver: new SqliteSaver(db), teardown: async () => void db.close() };
    },
  },
} as const;
type SqliteSaverKind = keyof typeof sqliteFillers;

/** On SQLite, a copy of the saver's fixture of that size (made by the first variant to need it). */
async function copiedFixture(kind: SqliteSaverKind, context: SubjectContext, steps: number): Promise<FilledSaver> {
  const { make, open } = sqliteFillers[kind];
  const path = join(context.dir, 'bench.db');
  await copyOfFixture(context, fixtureName(kind, steps), path, (fixture) => make(fixture, context.durability, steps));
  return open(path, context.durability);
}
const fixtureName = (kind: GrowthSaverKind, steps: number): string => `growth-${kind}-${steps}`;

/**
 * On PostgreSQL each saver fills its thread in a schema of its own; `open` connects to a filled schema. Nothing here
 * drops a schema: the harness drops every variant's schema once the whole benchmark is done.
 */
const pgFillers = {
  'agentos-pg': {
    make: async (context: SubjectContext, steps: number): Promise<void> => {
      const { db, saver } = await openAgentosPg(context);
      try {
        await putFirstStep(saver);
        // Given back, so that the put variant's saver (another process) can take the thread at its first put.
        await saver.releaseAll();
        const { id, version, bareVersion, last } = firstStep(steps);
        const copy = `'"' || ${PG_VERSION('n')} || '"'`;
        await db.query(
          `INSERT INTO langgraph_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type,
            checkpoint, channel_versions, metadata, evidence, verified, verification, verified_at, lease_item,
            lease_epoch, created_at)
          SELECT thread_id, checkpoint_ns, ${PG_ID('n')}, ${PG_ID('n - 1')}, type,
            convert_to(replace(replace(convert_from(checkpoint, 'UTF8'), $1, ${PG_ID('n')}), $2, ${copy}), 'UTF8'),
            replace(channel_versions, $2, ${copy}), metadata, evidence, verified, verification, verified_at,
            lease_item, lease_epoch, created_at
          FROM langgraph_checkpoints, generate_series(1, $3::int) AS n WHERE checkpoint_id = $1`,
          [id, version, last],
        );
        await db.query(
          `INSERT INTO langgraph_blobs (thread_id, checkpoint_ns, channel, version, type, value)
          SELECT thread_id, checkpoint_ns, channel, ${PG_VERSION('n')}, type, value
          FROM langgraph_blobs, generate_series(1, $2::int) AS n WHERE version = $1`,
          [bareVersion, last],
        );
        await db.query('ANALYZE langgraph_checkpoints, langgraph_blobs');
      } finally {
        await db.close();
      }
    },
    open: async (where: PgWhere): Promise<FilledSaver> => {
      const { db, saver } = await openAgentosPg(where);
      return { saver, teardown: () => db.close() };
    },
  },

  postgressaver: {
    make: async (context: SubjectContext, steps: number): Promise<void> => {
      const { pool, saver } = await openPostgresSaver(context);
      try {
        await saver.setup();
        await putFirstStep(saver);
        const schema = context.schema;
        const { id, version, bareVersion, last } = firstStep(steps);
        await pool.query(
          `INSERT INTO ${schema}.checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type,
            checkpoint, metadata)
          SELECT thread_id, checkpoint_ns, ${PG_ID('n')}, ${PG_ID('n - 1')}, type,
            replace(replace(checkpoint::text, $1, ${PG_ID('n')}), $2, '"' || ${PG_VERSION('n')} || '"')::jsonb, metadata
          FROM ${schema}.checkpoints, generate_series(1, $3::int) AS n WHERE checkpoint_id = $1`,
          [id, version, last],
        );
        await pool.query(
          `INSERT INTO ${schema}.checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
          SELECT thread_id, checkpoint_ns, channel, ${PG_VERSION('n')}, type, blob
          FROM ${schema}.checkpoint_blobs, generate_series(1, $2::int) AS n WHERE version = $1`,
          [bareVersion, last],
        );
        await pool.query(`ANALYZE ${schema}.checkpoints, ${schema}.checkpoint_blobs`);
      } finally {
        await pool.end();
      }
    },
    open: async (where: PgWhere): Promise<FilledSaver> => {
      const { pool, saver } = await openPostgresSaver(where);
      return { saver, teardown: () => pool.end() };
    },
  },
} as const;
type PgSaverKind = keyof typeof pgFillers;
type PgWhere = Pick<SubjectContext, 'pgUrl' | 'schema'>;

async function openAgentosPg({ pgUrl, schema }: PgWhere) {
  const { openPgDatabase } = await import('../../src/pg/index.js');
  const { AgentosSaver } = await import('../../src/langgraph/index.js');
  const db = await openPgDatabase({
    ...(pgUrl !== undefined ? { connectionString: pgUrl } : {}),
    schema,
    maxConnections: 4,
  });
  return { db, saver: new AgentosSaver(db) };
}

async function openPostgresSaver({ pgUrl, schema }: PgWhere) {
  const { default: pg } = await import('pg');
  const { PostgresSaver } = await import('@langchain/langgraph-checkpoint-postgres');
  const pool = new pg.Pool({ ...(pgUrl !== undefined ? { connectionString: pgUrl } : {}), max: 4 });
  pool.on('error', () => undefined);
  return { pool, saver: new PostgresSaver(pool, undefined, { schema }) };
}

/**
 * On PostgreSQL, the saver's filled schema of that size, shared by its variants: the first variant to need it fills
 * its own schema and names it in the fixtures folder; the others (prepared after it, see fixtures.ts) read from it.
 * A thread of 100k is filled once instead of once per operation; the put variant adds its few hundred checkpoints to
 * the thread the reads time, which no read of a thread that long can tell.
 */
async function sharedPgFixture(kind: PgSaverKind, context: SubjectContext, steps: number): Promise<FilledSaver> {
  const schema = await sharedFixture(context, fixtureName(kind, steps), context.schema, () =>
    pgFillers[kind].make(context, steps),
  );
  return pgFillers[kind].open({ pgUrl: context.pgUrl, schema });
}

/** Each saver with its thread filled, ready for a variant to time. */
const fillers = {
  'agentos-sqlite': (context: SubjectContext, steps: number) => copiedFixture('agentos-sqlite', context, steps),
  sqlitesaver: (context: SubjectContext, steps: number) => copiedFixture('sqlitesaver', context, steps),

  'agentos-pg': (context: SubjectContext, steps: number) => sharedPgFixture('agentos-pg', context, steps),
  postgressaver: (context: SubjectContext, steps: number) => sharedPgFixture('postgressaver', context, steps),
} as const;
export type GrowthSaverKind = keyof typeof fillers;

/**
 * Runs a SQLite fill in one transaction on a connection of its own with a small page cache, closed afterwards: the
 * bulk copy is not what is measured, and on a saver's connection (64 MB of cache) it left the worker holding the
 * pages it wrote, up to 230 MB at 100k checkpoints.
 */
async function fillingConnection(path: string, fill: (db: Database.Database) => void): Promise<void> {
  const { default: Sqlite } = await import('better-sqlite3');
  const db = new Sqlite(path);
  try {
    db.pragma('cache_size = -2000');
    db.pragma('busy_timeout = 60000');
    db.transaction(() => fill(db))();
  } finally {
    db.close();
  }
}

/** The parameters of a fill: step 0's id and version (bare, and quoted as in JSON), and the last step copied. */
function firstStep(steps: number) {
  const bareVersion = historyVersion(0);
  return { id: historyId(0), version: JSON.stringify(bareVersion), bareVersion, last: steps - 1 };
}

/** Each operation on a filled thread; every call checks what it got, so a wrong answer fails the variant. */
const operations: Record<GrowthOp, (saver: BaseCheckpointSaver, steps: number) => Promise<() => Promise<void>>> = {
  'by-id': async (saver, steps) => {
    let i = 0;
    return async () => {
      // A step spread over the whole history (7919 is prime: every step is visited).
      const id = historyId((i++ * 7919) % steps);
      const tuple = await saver.getTuple({ configurable: { ...GROWTH_THREAD, checkpoint_id: id } });
      if (tuple?.checkpoint.id !== id || tuple.checkpoint.channel_values.state === undefined)
        throw new Error(`getTuple(${id}) returned ${tuple?.checkpoint.id ?? 'nothing'}`);
    };
  },
  latest: async (saver) => async () => {
    const tuple = await saver.getTuple({ configurable: GROWTH_THREAD });
    if (tuple?.checkpoint.channel_values.state === undefined) throw new Error('getTuple returned no latest state');
  },
  list: async (saver) => async () => {
    let listed = 0;
    for await (const tuple of saver.list({ configurable: GROWTH_THREAD }, { limit: 10 }))
      if (tuple.checkpoint.channel_values.state !== undefined) listed++;
    if (listed !== 10) throw new Error(`list returned ${listed} checkpoints with their state, not 10`);
  },
  put: async (saver, steps) => {
    const { emptyCheckpoint, uuid6 } = await import('@langchain/langgraph-checkpoint');
    let parent = historyId(steps - 1);
    let step = steps;
    return async () => {
      const version = historyVersion(step);
      const checkpoint = {
        ...emptyCheckpoint(),
        id: uuid6(-1),
        channel_values: { state: { ...BENCH_STATE, i: step } },
        channel_versions: { state: version },
      };
      const config = { configurable: { ...GROWTH_THREAD, checkpoint_id: parent } };
      await saver.put(config, checkpoint, { source: 'loop', step, parents: {} }, { state: version });
      parent = checkpoint.id;
      step++;
    };
  },
};

type GrowthSubjectName<K extends GrowthSaverKind> = `growth-${K}-${GrowthOp}-${GrowthSize}`;

/** growth-<saver>-<operation>-<size>: the operation timed on a thread pre-filled with that many checkpoints. */
export function growthSubjectName<K extends GrowthSaverKind>(
  kind: K,
  op: GrowthOp,
  size: GrowthSize,
): GrowthSubjectName<K> {
  return `growth-${kind}-${op}-${size}`;
}

type GrowthSubject = ((context: SubjectContext) => Promise<Subject>) & { fixture: string };

function growthSubjects<K extends GrowthSaverKind>(kinds: readonly K[]): Record<GrowthSubjectName<K>, GrowthSubject> {
  const entries = kinds.flatMap((kind) =>
    GROWTH_OPS.flatMap((op) =>
      (Object.keys(GROWTH_SIZES) as GrowthSize[]).map((size) => {
        const steps = GROWTH_SIZES[size];
        const subject = async (context: SubjectContext): Promise<Subject> => {
          const filled = await fillers[kind](context, steps);
          try {
            return { run: await operations[op](filled.saver, steps), teardown: filled.teardown };
          } catch (error) {
            await filled.teardown();
            throw error;
          }
        };
        return [growthSubjectName(kind, op, size), withFixture(fixtureName(kind, steps), subject)] as const;
      }),
    ),
  );
  return Object.fromEntries(entries) as Record<GrowthSubjectName<K>, GrowthSubject>;
}

/** AgentosSaver and LangGraph's SqliteSaver on SQLite. */
export const sqliteGrowthSubjects = growthSubjects(['agentos-sqlite', 'sqlitesaver'] as const);
/** AgentosSaver and LangGraph's PostgresSaver on PostgreSQL: they need the run's server. */
export const pgGrowthSubjects = growthSubjects(['agentos-pg', 'postgressaver'] as const);
