import { vi } from 'vitest';
import type { Database, Statement } from 'better-sqlite3';
import type { AgentDatabase } from '../../src/index.js';
import type { PgDatabase } from '../../src/pg/index.js';
import type { AgentStore } from '../../src/store.js';

/** A statement as it ran: its SQL and the parameters it ran with. */
export interface RanStatement {
  sql: string;
  params: unknown[];
}

/** Every statement `action` runs on the store, in order (SQLite: each get/all/run/iterate; PostgreSQL: each query). */
export async function statementsRunBy(db: AgentStore, action: () => Promise<unknown>): Promise<RanStatement[]> {
  if (db.backend === 'postgres') {
    const query = vi.spyOn(db as PgDatabase, 'query');
    try {
      await action();
      return query.mock.calls.map(([sql, params = []]) => ({ sql, params }));
    } finally {
      query.mockRestore();
    }
  }
  // The saver's statements are prepared when the database opens: their shared prototype is watched instead.
  const prototype = Object.getPrototypeOf((db as AgentDatabase).sqlite.prepare('SELECT 1')) as Statement;
  const spies = (['get', 'all', 'run', 'iterate'] as const).map((method) => vi.spyOn(prototype, method));
  try {
    await action();
    return spies.flatMap((spy) =>
      spy.mock.calls.map((params, i) => ({ sql: (spy.mock.contexts[i] as Statement).source, params })),
    );
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/**
 * The lines of SQLite's query plan that read more of a thread than the statement returns: a SCAN of a table (a virtual
 * table, such as the JSON of the checkpoint's versions, or a materialized subquery is fine), or a SEARCH that binds no
 * more than the thread and namespace, unless it is the statement's walk of the checkpoints newest first to a LIMIT
 * without a temporary B-tree for the ORDER BY (it reads the key backwards and stops; with the B-tree every row is read).
 */
export function sqliteThreadWalks(sqlite: Database, { sql, params }: RanStatement): string[] {
  const plan = sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as PlanLine[];
  const materialized = plan.flatMap((line) => /^MATERIALIZE (\w+)/.exec(line.detail)?.[1] ?? []);
  const takesNewestFirst = /ORDER BY checkpoint_id DESC\s+LIMIT/i.test(sql);
  const sortsFirst = (line: PlanLine): boolean =>
    plan.some((other) => other.parent === line.parent && other.detail.startsWith('USE TEMP B-TREE FOR ORDER BY'));
  return plan
    .filter((line) => {
      const scanned = /^SCAN (\w+)/.exec(line.detail)?.[1];
      if (scanned !== undefined) return !line.detail.includes('VIRTUAL TABLE') && !materialized.includes(scanned);
      const walksThread = /^SEARCH .*\(thread_id=\?( AND checkpoint_ns=\?)?\)$/.test(line.detail);
      const walksNewestFirst =
        takesNewestFirst && line.detail.startsWith('SEARCH langgraph_checkpoints ') && !sortsFirst(line);
      return walksThread && !walksNewestFirst;
    })
    .map((line) => line.detail);
}

interface PlanLine {
  id: number;
  parent: number;
  detail: string;
}

interface PgPlanNode {
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PgPlanNode[];
}

/**
 * How many rows of the layer's tables PostgreSQL reads to run the statement (EXPLAIN ANALYZE: the rows each scan
 * returned, over all its loops, and those its filters dropped), by table. A write is run and rolled back.
 */
export async function pgRowsRead(db: PgDatabase, { sql, params }: RanStatement): Promise<Record<string, number>> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    const result = await client.query<{ 'QUERY PLAN': [{ Plan: PgPlanNode }] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
      params,
    );
    const read: Record<string, number> = {};
    const visit = (node: PgPlanNode): void => {
      const table = node['Relation Name'];
      if (table !== undefined) {
        const rows =
          (node['Actual Rows'] ?? 0) * (node['Actual Loops'] ?? 1) +
          (node['Rows Removed by Filter'] ?? 0) +
          (node['Rows Removed by Index Recheck'] ?? 0);
        read[table] = (read[table] ?? 0) + rows;
      }
      node.Plans?.forEach(visit);
    };
    const [explained] = result.rows[0]?.['QUERY PLAN'] ?? [];
    if (explained) visit(explained.Plan);
    return read;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}
