// `pnpm perf:pg [--pg-url <url>] [--ops <n>] [--only <text>]`: what each hot operation on PostgreSQL costs. Per operation: P50 and
// mean latency, the statements the client sends (each one round trip), the transactions the server committed (from
// pg_stat_database, so give it a database nothing else uses), and EXPLAIN (ANALYZE, BUFFERS, WAL) of each statement.
// --only <text>: the operations whose name contains it. Under `node --cpu-prof` (see docs/measurements.md) it is also
// the client's CPU profile of those operations.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { LatencyRecorder } from '../harness/recorder.js';
import { BENCH_STATE } from '../harness/bench/saver-put.js';
import { dropSchema, pgUrl } from '../harness/postgres/pg-server.js';
import { CheckpointManager } from '../src/core/checkpoints.js';
import { LeaseManager } from '../src/core/leases.js';
import { openPgDatabase, type PgDatabase } from '../src/pg/index.js';

const { values: args } = parseArgs({
  options: { 'pg-url': { type: 'string' }, ops: { type: 'string' }, only: { type: 'string' } },
});
const url = pgUrl(args['pg-url']);
const OPS = Number(args.ops ?? 1000);
if (!Number.isSafeInteger(OPS) || OPS < 1) {
  console.error(`pnpm perf:pg: --ops must be a positive integer, got ${JSON.stringify(args.ops)}`);
  process.exit(2);
}
const SCHEMA = 'agentos_profile';
/** Pending items beyond those taken, as deep as the lease benchmark's queue. */
const QUEUED = 30_000;

// Every statement a client sends, by the statement's name (or its first words): one round trip each.
const sent = new Map<string, number>();
// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the client it was called on
const clientQuery = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
  const q = a[0] as string | { name?: string; text: string };
  const text = typeof q === 'string' ? q : q.text;
  const name = (typeof q === 'string' ? undefined : q.name) ?? text.replace(/\s+/g, ' ').slice(0, 40);
  sent.set(name, (sent.get(name) ?? 0) + 1);
  return clientQuery.apply(this, a);
} as typeof pg.Client.prototype.query;

async function serverCommits(): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ n: string }>(
      'SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

interface Operation {
  name: string;
  /** Prepares the operation on a fresh schema; returns one operation. */
  setup: (db: PgDatabase) => Promise<() => Promise<unknown>>;
}

const queue = async (db: PgDatabase): Promise<void> => {
  await db.query(
    `INSERT INTO work_items (id, payload, created_at, updated_at)
     SELECT 'job-' || lpad(n::text, 6, '0'), 'null', agentos_now_ms(), agentos_now_ms() FROM generate_series(1, $1) n`,
    [OPS + QUEUED],
  );
};
const fencedLease = async (db: PgDatabase) => {
  const leases = new LeaseManager(db, { workerId: 'profile', leaseDurationMs: 600_000 });
  await leases.enqueue([{ id: 'profile-item' }]);
  const lease = await leases.acquire('profile-item');
  if (!lease) throw new Error('could not lease profile-item');
  return lease;
};

const operations: Operation[] = [
  {
    name: 'one-row INSERT (the floor)',
    setup: async (db) => {
      await db.query('CREATE TABLE bench_rows (id bigserial PRIMARY KEY, task_id text NOT NULL, state text NOT NULL)');
      let i = 0;
      return () =>
        db.query(
          'INSERT INTO bench_rows (task_id, state) VALUES ($1, $2)',
          ['bench-task', JSON.stringify({ ...BENCH_STATE, i: i++ })],
          'bench.insert',
        );
    },
  },
  {
    name: 'checkpoint commit',
    setup: async (db) => {
      const cm = new CheckpointManager(db);
      let i = 0;
      return () => cm.commit(cm.begin('bench-task', 'step', { ...BENCH_STATE, i: i++ }));
    },
  },
  {
    name: 'fenced checkpoint commit',
    setup: async (db) => {
      const cm = new CheckpointManager(db);
      const lease = await fencedLease(db);
      let i = 0;
      return () => cm.commit(cm.begin('bench-task', 'step', { ...BENCH_STATE, i: i++ }), undefined, { lease });
    },
  },
  {
    name: 'lease acquire + complete, one at a time',
    setup: async (db) => {
      await queue(db);
      const leases = new LeaseManager(db, { workerId: 'profile', leaseDurationMs: 600_000 });
      return async () => {
        const lease = await leases.acquire();
        if (!lease) throw new Error('the queue ran dry');
        await leases.complete(lease);
      };
    },
  },
  {
    name: 'bare SKIP LOCKED take + complete (the floor)',
    setup: async (db) => {
      await queue(db);
      const take = `UPDATE work_items SET status = 'leased' WHERE id = (
        SELECT id FROM work_items WHERE status = 'pending' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id`;
      return async () => {
        const [row] = await db.query<{ id: string }>(take, [], 'bench.take');
        if (!row) throw new Error('the queue ran dry');
        await db.query("UPDATE work_items SET status = 'completed' WHERE id = $1", [row.id], 'bench.done');
      };
    },
  },
];

/** Runs `count` operations (after a warm-up) on a fresh schema; returns the server's committed transactions. */
async function pass(op: Operation, count: number, onOpen?: (db: PgDatabase) => Promise<void>) {
  await dropSchema(SCHEMA, url);
  const before = await serverCommits();
  const db = await openPgDatabase({ connectionString: url, schema: SCHEMA, maxConnections: 1 });
  const latencies = new LatencyRecorder();
  let statements: Map<string, number>;
  let plans: { name: string; generic_plans: number; custom_plans: number }[];
  try {
    await onOpen?.(db);
    const run = await op.setup(db);
    for (let i = 0; i < 50; i++) await run(); // warm-up: statements prepared, plans cached
    sent.clear();
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await run();
      latencies.record(performance.now() - t0);
    }
    statements = new Map(sent);
    // How often the server planned each prepared statement anew (custom) or reused its cached plan (generic).
    plans = await db.query('SELECT name, generic_plans, custom_plans FROM pg_prepared_statements ORDER BY name');
  } finally {
    // Every backend reports its counts as it exits.
    await db.close();
  }
  return { commits: (await serverCommits()) - before, statements, plans, latencies };
}

const fmt = (n: number, digits = 3): string => n.toFixed(digits);
console.log(`PostgreSQL ${url.replace(/:[^:@/]*@/, ':***@')}, ${OPS} operations each after 50 of warm-up\n`);
for (const op of operations.filter((o) => args.only === undefined || o.name.includes(args.only))) {
  const timed = await pass(op, OPS);
  const idle = await pass(op, 0);
  const { p50, mean } = timed.latencies.summary();
  const statements = [...timed.statements.values()].reduce((a, b) => a + b, 0);
  console.log(`## ${op.name}`);
  console.log(
    `P50 ${fmt(p50 ?? NaN)} ms, mean ${fmt(mean ?? NaN)} ms; per operation: ${fmt(statements / OPS, 2)} statements (round trips), ${fmt((timed.commits - idle.commits) / OPS, 2)} server transactions`,
  );
  for (const [name, n] of timed.statements) console.log(`  ${fmt(n / OPS, 2)} × ${name}`);
  for (const p of timed.plans)
    console.log(`  plans of ${p.name}: ${p.generic_plans} generic, ${p.custom_plans} custom`);
  // Each statement's plan, as the server ran it at the 60th operation (auto_explain, sent to this client as notices).
  const plans = new Map<string, string>();
  await pass(op, 10, async (db) => {
    const client = await db.pool.connect();
    await client.query(`LOAD 'auto_explain'`);
    await client.query(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on;
      SET auto_explain.log_buffers = on; SET auto_explain.log_wal = on; SET auto_explain.log_level = notice;
      SET auto_explain.log_nested_statements = on`);
    client.on('notice', (n) => {
      const plan = n.message ?? '';
      if (plan.startsWith('duration')) plans.set(plan.split('\n')[1]?.slice(0, 60) ?? '', plan);
    });
    client.release();
  });
  for (const plan of plans.values()) console.log(`\n\`\`\`\n${plan}\n\`\`\``);
  console.log();
}
await dropSchema(SCHEMA, url);
