import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pgSkipReason, useTempPg } from '../../test/helpers/temp-pg.js';
import { DatabaseOpenError, LeaseLostError, SchemaTooNewError, TaskBusyError } from '../errors.js';
import { CheckpointManager } from '../core/checkpoints.js';
import { loadMigrations } from '../migrations.js';
import { InvalidArgumentError } from '../validate.js';
import { PgLeaseManager, PgRecoverySweep, PgTaskRunner, openPgDatabase, type PgDatabase } from './index.js';

/** Ends a lease by the server's clock, as if its time had run out (no waiting). */
async function expireOnServer(db: PgDatabase, itemId: string): Promise<void> {
  await db.query('UPDATE work_items SET lease_expires_at = agentos_now_ms() - 1 WHERE id = $1', [itemId]);
}

/** How many migrations this release applies to a PostgreSQL schema. */
const PG_MIGRATIONS = loadMigrations(fileURLToPath(new URL('./migrations/', import.meta.url))).length;

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

  describe('task runner', () => {
    const step = (name: string, run?: () => Promise<void>) => ({
      name,
      run: async (trail: string[]) => {
        await run?.();
        return [...trail, name];
      },
    });

    it('runs the steps in order, checkpointing each, and records the end with the lease completed', async () => {
      const db = await openPg();
      const cm = new CheckpointManager(db);
      const runner = new PgTaskRunner(
        db,
        cm,
        { steps: [step('a'), step('b')], initialState: [] as string[] },
        { workerId: 'r' },
      );
      const result = await runner.run('t');
      expect(result).toMatchObject({ status: 'succeeded', state: ['a', 'b'], executed: ['a', 'b'] });
      expect((await cm.list('t')).map((c) => [c.seq, c.step])).toEqual([
        [1, 'a'],
        [2, 'b'],
      ]);
      expect(await runner.status('t')).toEqual({ status: 'succeeded', error: null });
      expect((await new PgLeaseManager(db, { workerId: 'x' }).get('task:t'))?.status).toBe('completed');
      expect((await runner.run('t')).executed).toEqual([]);
      // In commit order, the completion last: no write may follow it at the same epoch.
      expect(await leaseLog(db, 'task:t')).toEqual([
        'acquire@1:r',
        'task-status@1:r',
        'renew@1:r',
        'checkpoint@1:r',
        'renew@1:r',
        'checkpoint@1:r',
        'task-status@1:r',
        'complete@1:r',
      ]);
    });

    it('lets a second runner resume after the last checkpoint once the first lost its lease, and refuses the first', async () => {
      const db = await openPg();
      const cm = new CheckpointManager(db);
      let entered = (): void => undefined;
      const inStep = new Promise<void>((resolve) => (entered = resolve));
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const first = new PgTaskRunner(
        db,
        cm,
        { steps: [step('a'), step('b', async () => (entered(), gate))], initialState: [] as string[] },
        { workerId: 'first' },
      );
      const firstRun = first.run('t');
      await inStep;
      await expect(
        new PgTaskRunner(
          db,
          cm,
          { steps: [step('a'), step('b')], initialState: [] as string[] },
          { workerId: 'x' },
        ).run('t'),
      ).rejects.toThrow(TaskBusyError);
      await expireOnServer(db, 'task:t');
      const second = new PgTaskRunner(
        db,
        cm,
        { steps: [step('a'), step('b')], initialState: [] as string[] },
        {
          workerId: 'second',
        },
      );
      expect(await second.run('t')).toMatchObject({ status: 'succeeded', resumedAfter: 'a', executed: ['b'] });
      release();
      await expect(firstRun).rejects.toThrow(LeaseLostError);
      expect((await cm.list('t')).map((c) => c.step)).toEqual(['a', 'b']);
      expect(await first.status('t')).toEqual({ status: 'succeeded', error: null });
    });
  });

  describe('leases and fencing', () => {
    it('refuses every write of a holder whose lease was taken over, and writes nothing for it', async () => {
      const db = await openPg();
      const cm = new CheckpointManager(db);
      const a = new PgLeaseManager(db, { workerId: 'a', leaseDurationMs: 60_000 });
      const b = new PgLeaseManager(db, { workerId: 'b', leaseDurationMs: 60_000 });
      await a.enqueue([{ id: 'job' }]);
      const stale = await a.acquire();
      expect(stale?.epoch).toBe(1);
      if (!stale) return;
      await cm.commit(cm.begin('job', 'one', 1), undefined, { lease: stale });
      await expireOnServer(db, 'job');
      const fresh = await b.acquire('job');
      expect(fresh?.epoch).toBe(2);

      const refused = await cm.commit(cm.begin('job', 'two', 2), undefined, { lease: stale }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(LeaseLostError);
      expect((refused as LeaseLostError).message).toMatch(/epoch 1 refused: the item is now at epoch 2 .*"b"/);
      await expect(a.renew(stale)).rejects.toThrow(LeaseLostError);
      await expect(a.complete(stale)).rejects.toThrow(LeaseLostError);
      await expect(a.release(stale)).rejects.toThrow(LeaseLostError);

      // The refused commit left no row and no gap: the new holder's checkpoint is seq 2.
      if (!fresh) return;
      expect((await cm.commit(cm.begin('job', 'two', 2), undefined, { lease: fresh })).seq).toBe(2);
      await b.complete(fresh, { ok: true });
      expect((await b.get('job'))?.status).toBe('completed');
      expect(await leaseLog(db, 'job')).toEqual([
        'acquire@1:a',
        'checkpoint@1:a',
        'acquire@2:b',
        'checkpoint@2:b',
        'complete@2:b',
      ]);
    });

    it('decides expiry by the server clock: a client whose clock runs an hour ahead can neither steal nor extend', async () => {
      const db = await openPg();
      const holder = new PgLeaseManager(db, { workerId: 'holder', leaseDurationMs: 60_000 });
      const skewed = new PgLeaseManager(db, { workerId: 'skewed', leaseDurationMs: 60_000 });
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

    it('hands each pending item to exactly one of several concurrent batch acquirers, skipping ownership leases', async () => {
      const db = await openPg({ maxConnections: 6 });
      const workers = ['w1', 'w2', 'w3'].map((w) => new PgLeaseManager(db, { workerId: w }));
      const ids = Array.from({ length: 60 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
      expect(await workers[0]?.enqueue([...ids.map((id) => ({ id })), { id: 'task:owned' }])).toBe(61);
      const taken: string[] = [];
      await Promise.all(
        workers.map(async (w) => {
          for (;;) {
            const batch = await w.acquireBatch(7);
            if (batch.length === 0) return;
            taken.push(...batch.map((l) => l.itemId));
          }
        }),
      );
      expect(taken.sort()).toEqual(ids);
    });

    it('completes a batch in one statement, refusing (and writing nothing for) a lease taken over meanwhile', async () => {
      const db = await openPg();
      const a = new PgLeaseManager(db, { workerId: 'a' });
      const b = new PgLeaseManager(db, { workerId: 'b' });
      await a.enqueue([{ id: 'x' }, { id: 'y' }, { id: 'z' }]);
      const batch = await a.acquireBatch(3);
      await expireOnServer(db, 'y');
      expect((await b.acquire('y'))?.epoch).toBe(2);
      const refused = await a.completeBatch(batch);
      expect(refused.map((l) => l.itemId)).toEqual(['y']);
      expect((await a.get('x'))?.status).toBe('completed');
      expect((await a.get('y'))?.leaseHolder).toBe('b');
      expect(await leaseLog(db, 'y')).toEqual(['acquire@1:a', 'acquire@2:b']);
    });

    it('the sweep returns leases expired by the server clock to the queue, logging the reclaim', async () => {
      const db = await openPg();
      const leases = new PgLeaseManager(db, { workerId: 'dead', leaseDurationMs: 60_000 });
      await leases.enqueue([{ id: 'x' }, { id: 'y' }]);
      await leases.acquireBatch(2);
      await expireOnServer(db, 'x');
      expect((await new PgRecoverySweep(db).scanAndRecover()).recovered).toBe(1);
      expect((await leases.get('x'))?.status).toBe('pending');
      expect((await leases.get('y'))?.status).toBe('leased');
      expect(await leaseLog(db, 'x')).toEqual(['acquire@1:dead', 'reclaim@1:dead']);
    });
  });
});

/** The connection string the temp database was opened with (the pool keeps it). */
function poolUrl(db: PgDatabase): string {
  return (db.pool.options as { connectionString: string }).connectionString;
}
