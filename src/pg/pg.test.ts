import { afterEach, describe, expect, it, vi } from 'vitest';
import { pgSkipReason, useTempPg } from '../../test/helpers/temp-pg.js';
import { DatabaseOpenError, SchemaTooNewError } from '../errors.js';
import { loadMigrations } from '../migrations.js';
import { InvalidArgumentError } from '../validate.js';
import { openPgDatabase, type PgDatabase } from './index.js';
import { LeaseManager } from '../core/leases.js';
import { RecoverySweep } from '../core/recovery.js';
import { CheckpointManager } from '../core/checkpoints.js';

/** Ends a lease by the server's clock, as if its time had run out (no waiting). */
async function expireOnServer(db: PgDatabase, itemId: string): Promise<void> {
  await db.query('UPDATE work_items SET lease_expires_at = agentos_now_ms() - 1 WHERE id = $1', [itemId]);
}

/** How many migrations this release applies to a PostgreSQL schema. */
const PG_MIGRATIONS = loadMigrations('postgres').length;

async function leaseLog(db: PgDatabase, itemId: string): Promise<string[]> {
  const rows = await db.query<{ op: string; epoch: number; holder: string }>(
    'SELECT op, epoch, holder FROM lease_log WHERE item_id = $1 ORDER BY seq',
    [itemId],
  );
  return rows.map((r) => `${r.op}@${r.epoch}:${r.holder}`);
}

describe.skipIf(pgSkipReason !== undefined)('PostgreSQL backend', () => {
  const openPg = useTempPg();
  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe('opening', () => {
    it('migrates once, also when several processes open a new schema at the same time', async () => {
      const db = await openPg();
      const again = await Promise.all(
        [1, 2, 3].map(() => openPgDatabase({ connectionString: poolUrl(db), schema: db.schema })),
      );
      expect(await db.schemaVersion()).toBe(PG_MIGRATIONS);
      const applied = await db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM schema_migrations');
      expect(applied[0]?.n).toBe(PG_MIGRATIONS);
      await Promise.all(again.map((d) => d.close()));
    });

    it('refuses a schema written by a newer release and leaves it unchanged', async () => {
      const db = await openPg();
      await db.query("INSERT INTO schema_migrations VALUES (99, 'future', 0)");
      const error: unknown = await openPgDatabase({ connectionString: poolUrl(db), schema: db.schema }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SchemaTooNewError);
      expect((error as Error).message).toMatch(new RegExp(`version 99 .* up to ${PG_MIGRATIONS}`));
      expect(await db.schemaVersion()).toBe(99);
    });

    it('names the server it cannot reach, and rejects a schema name that is not an identifier', async () => {
      const error: unknown = await openPgDatabase({ connectionString: 'postgresql://postgres@127.0.0.1:1/x' }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DatabaseOpenError);
      expect((error as Error).message).toContain('127.0.0.1:1/x');
      await expect(openPgDatabase({ schema: 'drop table; --' })).rejects.toThrow(InvalidArgumentError);
    });
  });

  describe('plans', () => {
    // A statement PostgreSQL plans anew at every call costs more than its execution (about 0.3 ms here): with a
    // parameter as its LIMIT, the generic plan of the acquisition looked dearer than a custom one, so it was re-planned
    // at every acquisition of a deep queue. The hot statements must run on their cached generic plan.
    it('acquires one at a time, completes and commits checkpoints on cached generic plans', async () => {
      const db = await deepQueue();
      const leases = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
      const checkpoints = new CheckpointManager(db);
      for (let i = 0; i < 20; i++) {
        const lease = await leases.acquire();
        if (!lease) throw new Error('the queue ran dry');
        await checkpoints.commit(checkpoints.begin('task', 'step', { i }), undefined, { lease });
        await checkpoints.commit(checkpoints.begin('other', 'step', { i }));
        await leases.complete(lease);
      }
      expect(await replanned(db)).toEqual([]);
      expect(await preparedNames(db)).toEqual(
        expect.arrayContaining([
          'agentos.lease.acquire-one',
          'agentos.checkpoint.insert',
          'agentos.checkpoint.insert-fenced',
          'agentos.lease.complete',
        ]),
      );
    });

    it('acquires and completes batches on cached generic plans', async () => {
      const db = await deepQueue();
      const leases = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
      for (let i = 0; i < 20; i++) expect(await leases.completeBatch(await leases.acquireBatch(10))).toEqual([]);
      expect(await replanned(db)).toEqual([]);
      expect(await preparedNames(db)).toEqual(expect.arrayContaining(['agentos.lease.complete-batch']));
    });

    /** A schema on one connection (so its prepared statements can be read) holding 30,000 pending items. */
    async function deepQueue(): Promise<PgDatabase> {
      const db = await openPg({ maxConnections: 1 });
      await db.query(
        `INSERT INTO work_items (id, payload, created_at, updated_at)
         SELECT 'job-' || lpad(n::text, 6, '0'), 'null', agentos_now_ms(), agentos_now_ms() FROM generate_series(1, 30000) n`,
      );
      return db;
    }

    /** The layer's prepared statements planned anew past the server's first five custom plans. */
    async function replanned(db: PgDatabase): Promise<string[]> {
      const rows = await db.query<{ name: string; custom_plans: number }>(
        "SELECT name, custom_plans FROM pg_prepared_statements WHERE name LIKE 'agentos.%' AND custom_plans > 5",
      );
      return rows.map((r) => `${r.name}: ${r.custom_plans} custom plans`);
    }

    async function preparedNames(db: PgDatabase): Promise<string[]> {
      const rows = await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
      return rows.map((r) => r.name);
    }
  });

  describe('leases and fencing', () => {
    it('decides expiry by the server clock: a client whose clock runs an hour ahead can neither steal nor extend', async () => {
      const db = await openPg();
      const holder = new LeaseManager(db, { workerId: 'holder', leaseDurationMs: 60_000 });
      const skewed = new LeaseManager(db, { workerId: 'skewed', leaseDurationMs: 60_000 });
      await holder.enqueue([{ id: 'job' }]);
      const lease = await holder.acquire('job');
      if (!lease) throw new Error('not acquired');
      // eslint-disable-next-line no-restricted-properties -- the client's clock is what this test skews
      const realNow = Date.now();
      vi.spyOn(Date, 'now').mockReturnValue(realNow + 3_600_000);
      expect(await skewed.acquire('job')).toBeNull();
      const renewed = await holder.renew(lease);
      // The new expiry is the server's now plus the lease, not the client's.
      expect(renewed.expiresAt).toBeLessThan(realNow + 3_600_000);
      expect((await holder.get('job'))?.leaseHolder).toBe('holder');
    });

    // PostgreSQL only: SQLite has one writer at a time, so no row is ever locked by another writer mid-sweep.
    it('the sweep skips a lease whose row its holder is writing right now, and reclaims it on the next sweep', async () => {
      const db = await openPg();
      const leases = new LeaseManager(db, { workerId: 'dead', leaseDurationMs: 60_000 });
      await leases.enqueue([{ id: 'x' }, { id: 'y' }]);
      await leases.acquireBatch(2);
      await expireOnServer(db, 'x');
      await expireOnServer(db, 'y');
      const sweep = new RecoverySweep(db);
      const writer = await db.pool.connect();
      try {
        await writer.query('BEGIN');
        await writer.query("SELECT 1 FROM work_items WHERE id = 'x' FOR UPDATE");
        expect(await sweep.scanAndRecover()).toMatchObject({ recovered: 1, checkpointsCreated: 1 });
        expect((await leases.get('x'))?.status).toBe('leased');
        expect((await leases.get('y'))?.status).toBe('pending');
        await writer.query('COMMIT');
      } finally {
        writer.release();
      }
      expect(await sweep.scanAndRecover()).toMatchObject({ recovered: 1, checkpointsCreated: 1 });
      expect(await leaseLog(db, 'x')).toEqual(['acquire@1:dead', 'reclaim@1:dead']);
    });
  });
});

/** The connection string the temp database was opened with (the pool keeps it). */
function poolUrl(db: PgDatabase): string {
  return (db.pool.options as { connectionString: string }).connectionString;
}
