import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pgUrl } from '../../harness/subjects/pg-server.js';
import { SUBJECT_VARIABLE, type SubjectConfig } from '../../harness/subjects/subject.js';
import { Supervisor, type WorkerProcess } from '../../harness/workers/supervisor.js';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { pgSkipReason, useTempPg } from '../../test/helpers/temp-pg.js';
import { openDatabase, type AgentDatabase } from '../db.js';
import { LeaseLostError } from '../errors.js';
import { LeaseManager, type Lease } from '../core/leases.js';
import { ownBootId, ownPidSpace, processStartTime } from '../process-identity.js';

/** The identity recorded for a work item's holder, as stored in its holder_* columns. */
interface RecordedHolder {
  host?: string;
  pidSpace?: string | null;
  pid?: number;
  start?: string | null;
}

/** One backend as this contract sees it: its lease managers, and direct access to the rows a holder leaves behind. */
interface Store {
  leases(workerId: string): LeaseManager;
  /** Rewrites the recorded identity of the item's holder, as if another process had recorded it. */
  recordHolder(itemId: string, holder: RecordedHolder): Promise<void>;
  /** The identity recorded for the item's holder. */
  holder(itemId: string): Promise<RecordedHolder>;
  /** The item's lease log: "<op>@<epoch>:<holder>" in commit order. */
  log(itemId: string): Promise<string[]>;
  /** Where a worker process finds this store. */
  worker: { dbPath: string; runDir: string; subject: SubjectConfig };
}

interface Backend {
  name: string;
  skip: boolean;
  use(): () => Promise<Store>;
}

const COLUMNS = {
  host: 'holder_host',
  pidSpace: 'holder_pid_space',
  pid: 'holder_pid',
  start: 'holder_start',
} as const;
const SELECT_HOLDER = Object.entries(COLUMNS)
  .map(([key, column]) => `${column} AS "${key}"`)
  .join(', ');

function assignments(holder: RecordedHolder, placeholder: (i: number) => string): [string, unknown[]] {
  const entries = Object.entries(holder) as [keyof RecordedHolder, unknown][];
  return [entries.map(([k], i) => `${COLUMNS[k]} = ${placeholder(i)}`).join(', '), entries.map(([, v]) => v)];
}

const sqlite: Backend = {
  name: 'SQLite',
  skip: false,
  use() {
    const tempDir = useTempDir();
    const open: AgentDatabase[] = [];
    afterEach(() => {
      for (const db of open.splice(0)) db.close();
    });
    return () => {
      const dir = tempDir();
      const dbPath = join(dir, 'agentos.db');
      const db = openDatabase(dbPath);
      open.push(db);
      return Promise.resolve({
        leases: (workerId) => new LeaseManager(db, { workerId, leaseDurationMs: 60_000 }),
        recordHolder(itemId, holder) {
          const [set, values] = assignments(holder, () => '?');
          db.sqlite.prepare(`UPDATE work_items SET ${set} WHERE id = ?`).run(...values, itemId);
          return Promise.resolve();
        },
        holder: (itemId) =>
          Promise.resolve(
            db.sqlite.prepare(`SELECT ${SELECT_HOLDER} FROM work_items WHERE id = ?`).get(itemId) as RecordedHolder,
          ),
        log: (itemId) =>
          Promise.resolve(
            db.sqlite
              .prepare("SELECT op || '@' || epoch || ':' || holder FROM lease_log WHERE item_id = ? ORDER BY seq")
              .pluck()
              .all(itemId) as string[],
          ),
        worker: { dbPath, runDir: dir, subject: { name: 'agentos-sqlite' } },
      });
    };
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  skip: pgSkipReason !== undefined,
  use() {
    const tempDir = useTempDir();
    const openPg = useTempPg();
    return async () => {
      const db = await openPg();
      const dir = tempDir();
      return {
        leases: (workerId) => new LeaseManager(db, { workerId, leaseDurationMs: 60_000 }),
        async recordHolder(itemId, holder) {
          const [set, values] = assignments(holder, (i) => `$${i + 2}`);
          await db.query(`UPDATE work_items SET ${set} WHERE id = $1`, [itemId, ...values]);
        },
        async holder(itemId) {
          const [row] = await db.query<RecordedHolder>(`SELECT ${SELECT_HOLDER} FROM work_items WHERE id = $1`, [
            itemId,
          ]);
          return row ?? {};
        },
        async log(itemId) {
          const rows = await db.query<{ entry: string }>(
            "SELECT op || '@' || epoch || ':' || holder AS entry FROM lease_log WHERE item_id = $1 ORDER BY seq",
            [itemId],
          );
          return rows.map((r) => r.entry);
        },
        worker: {
          dbPath: join(dir, 'agentos.db'),
          runDir: dir,
          subject: { name: 'agentos-postgres', pgUrl: pgUrl(), schema: db.schema },
        },
      };
    };
  },
};

/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}

/** Worker processes holding leases; every one is killed and reaped after each test, pass or fail. */
function useHolderProcesses(): (store: Store, itemId: string) => Promise<{ worker: WorkerProcess; epoch: number }> {
  let supervisor = new Supervisor();
  afterEach(async () => {
    await supervisor.reapAll();
    expect(supervisor.survivors()).toEqual([]);
    supervisor = new Supervisor();
  });
  return (store, itemId) =>
    new Promise((resolve, reject) => {
      const worker = supervisor.spawn({
        id: 'holder-1',
        group: 'holder',
        workload: 'lease-holder',
        params: { itemId, leaseDurationMs: 60_000 },
        ...store.worker,
        durability: 'normal',
        env: { [SUBJECT_VARIABLE]: JSON.stringify(store.worker.subject) },
        onEvent: (_w, event) => {
          if (event.kind === 'lease.acquired') resolve({ worker, epoch: event.epoch });
          else if (event.kind === 'lease.none' || event.kind === 'worker.error')
            reject(new Error(`the holder process did not take ${itemId}: ${JSON.stringify(event)}`));
        },
        onExit: (w, exit) => reject(new Error(`the holder process exited (${JSON.stringify(exit)}): ${w.stderr}`)),
      });
    });
}

const ITEM = 'task:report-1';

describe.each([sqlite, postgres])('a named ownership item whose holder is dead ($name)', (backend) => {
  const open = backend.use();
  const startHolder = useHolderProcesses();

  /** The item, held by a lease manager of this process that then looks like `holder` in the database. */
  async function heldAs(store: Store, holder?: RecordedHolder): Promise<{ lease: Lease; leases: LeaseManager }> {
    const leases = store.leases('first');
    await leases.enqueue([{ id: ITEM }]);
    const lease = await leases.acquire(ITEM);
    expect(lease).not.toBeNull();
    if (holder) await store.recordHolder(ITEM, holder);
    return { lease: lease!, leases };
  }

  it.skipIf(backend.skip)('is taken at once when its holder process was killed, not while it ran', async () => {
    const store = await open();
    const { worker, epoch } = await startHolder(store, ITEM);
    const next = store.leases('next');
    expect(await next.acquire(ITEM)).toBeNull();

    worker.signal('SIGKILL');
    expect(await worker.exited).toMatchObject({ signal: 'SIGKILL' });
    const taken = await next.acquire(ITEM);
    expect(taken).toMatchObject({ itemId: ITEM, epoch: epoch + 1, workerId: 'next' });
    expect((await store.log(ITEM)).slice(-1)).toEqual([`takeover@${epoch + 1}:next`]);
  });

  it.skipIf(backend.skip)(
    'is taken at once when the recorded pid in our pid space is gone, fencing the old lease out',
    async () => {
      const store = await open();
      const { lease, leases } = await heldAs(store, { pid: deadPid() });
      const taken = await store.leases('next').acquire(ITEM);
      expect(taken).toMatchObject({ epoch: lease.epoch + 1, workerId: 'next' });
      await expect(Promise.resolve().then(() => leases.renew(lease))).rejects.toBeInstanceOf(LeaseLostError);
      expect(await store.log(ITEM)).toEqual([`acquire@${lease.epoch}:first`, `takeover@${lease.epoch + 1}:next`]);
    },
  );

  it.skipIf(backend.skip)('is taken at once when the recorded pid now names another process (reused)', async () => {
    const store = await open();
    const { lease } = await heldAs(store, { pid: process.pid, start: 'an-earlier-boot:1' });
    expect(await store.leases('next').acquire(ITEM)).toMatchObject({ epoch: lease.epoch + 1 });
  });

  it.skipIf(backend.skip)('is not taken while its holder is a live process (this one)', async () => {
    const store = await open();
    const { lease, leases } = await heldAs(store);
    expect(await store.leases('next').acquire(ITEM)).toBeNull();
    expect(await leases.renew(lease)).toMatchObject({ epoch: lease.epoch });
  });

  it.skipIf(backend.skip)('is not judged dead when its pid belongs to another pid space of this machine', async () => {
    const store = await open();
    // Same boot, another pid namespace (another container): its pid says nothing about the processes seen here.
    await heldAs(store, { pid: deadPid(), pidSpace: `${ownBootId() ?? 'boot'}/pid:[1]` });
    expect(await store.leases('next').acquire(ITEM)).toBeNull();
  });

  it.skipIf(backend.skip)('is not judged dead when its holder recorded another host', async () => {
    const store = await open();
    await heldAs(store, { pid: deadPid(), host: `not-${hostname()}` });
    expect(await store.leases('next').acquire(ITEM)).toBeNull();
  });

  it.skipIf(backend.skip)(
    'records who holds it: host, pid space, pid and start time of the acquiring process',
    async () => {
      const store = await open();
      const { lease } = await heldAs(store);
      const item = await store.leases('next').get(ITEM);
      expect(item).toMatchObject({ leaseHolder: 'first', epoch: lease.epoch });
      expect(await store.holder(ITEM)).toEqual({
        host: hostname(),
        pidSpace: ownPidSpace(),
        pid: process.pid,
        start: processStartTime(process.pid) ?? null,
      });
    },
  );
});
