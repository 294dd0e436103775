import { hostname } from 'node:os';
import { afterEach, expect, it } from 'vitest';
import { SUBJECT_VARIABLE } from '../../harness/subject.js';
import { Supervisor, type WorkerProcess } from '../../harness/workers/supervisor.js';
import { deadPid } from '../../test/helpers/dead-pid.js';
import { describeEachStore, type StoreUnderTest } from '../../test/helpers/stores.js';
import { LeaseLostError } from '../errors.js';
import { ownBootId, ownPidSpace, processStartTime } from '../process-identity.js';
import { LeaseManager, ensureOwnershipItem } from './leases.js';

const ITEM = 'task:report-1';

function leasesOf(store: StoreUnderTest, workerId: string): LeaseManager {
  return new LeaseManager(store.db, { workerId, leaseDurationMs: 60_000 });
}

/** Worker processes holding leases; every one is killed and reaped after each test, pass or fail. */
function useHolderProcesses(): (store: StoreUnderTest) => Promise<{ worker: WorkerProcess; epoch: number }> {
  let supervisor = new Supervisor();
  afterEach(async () => {
    await supervisor.reapAll();
    expect(supervisor.survivors()).toEqual([]);
    supervisor = new Supervisor();
  });
  return (store) =>
    new Promise((resolve, reject) => {
      const worker = supervisor.spawn({
        id: 'holder-1',
        group: 'holder',
        workload: 'lease-holder',
        params: { itemId: ITEM, leaseDurationMs: 60_000 },
        ...store.worker,
        durability: 'normal',
        env: { [SUBJECT_VARIABLE]: JSON.stringify(store.worker.subject) },
        onEvent: (_w, event) => {
          if (event.kind === 'lease.acquired') resolve({ worker, epoch: event.epoch });
          else if (event.kind === 'lease.none' || event.kind === 'worker.error')
            reject(new Error(`the holder process did not take ${ITEM}: ${JSON.stringify(event)}`));
        },
        onExit: (w, exit) => reject(new Error(`the holder process exited (${JSON.stringify(exit)}): ${w.stderr}`)),
      });
    });
}

describeEachStore('A named ownership item whose holder is dead', (open) => {
  const startHolder = useHolderProcesses();

  /** The item, held by a lease manager of this process that then looks like `holder` in the database. */
  async function heldAs(store: StoreUnderTest, holder?: Parameters<StoreUnderTest['recordHolder']>[1]) {
    const leases = leasesOf(store, 'first');
    await ensureOwnershipItem(store.db, ITEM, null);
    const lease = await leases.acquire(ITEM);
    if (!lease) throw new Error(`"first" did not get ${ITEM}`);
    if (holder) await store.recordHolder(ITEM, holder);
    return { lease, leases };
  }

  it('is taken at once when its holder process was killed, not while it ran', async () => {
    const store = await open();
    const { worker, epoch } = await startHolder(store);
    const next = leasesOf(store, 'next');
    expect(await next.acquire(ITEM)).toBeNull();

    worker.signal('SIGKILL');
    expect(await worker.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(await next.acquire(ITEM)).toMatchObject({ itemId: ITEM, epoch: epoch + 1, workerId: 'next' });
    expect((await store.leaseLog(ITEM)).slice(-1)).toEqual([`takeover@${epoch + 1}:next`]);
  });

  it('is taken at once when the recorded pid in our pid space is gone, fencing the old lease out', async () => {
    const store = await open();
    const { lease, leases } = await heldAs(store, { holder_pid: deadPid() });
    expect(await leasesOf(store, 'next').acquire(ITEM)).toMatchObject({ epoch: lease.epoch + 1, workerId: 'next' });
    await expect(leases.renew(lease)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await store.leaseLog(ITEM)).toEqual([`acquire@${lease.epoch}:first`, `takeover@${lease.epoch + 1}:next`]);
  });

  it('is taken at once when the recorded pid now names another process (reused)', async () => {
    const store = await open();
    const { lease } = await heldAs(store, { holder_pid: process.pid, holder_start: 'an-earlier-boot:1' });
    expect(await leasesOf(store, 'next').acquire(ITEM)).toMatchObject({ epoch: lease.epoch + 1 });
  });

  it('is not taken while its holder is a live process (this one)', async () => {
    const store = await open();
    const { lease, leases } = await heldAs(store);
    expect(await leasesOf(store, 'next').acquire(ITEM)).toBeNull();
    expect(await leases.renew(lease)).toMatchObject({ epoch: lease.epoch });
  });

  it('is not judged dead when its pid belongs to another pid space of this machine', async () => {
    const store = await open();
    // Same boot, another pid namespace (another container): its pid says nothing about the processes seen here.
    await heldAs(store, { holder_pid: deadPid(), holder_pid_space: `${ownBootId() ?? 'boot'}/pid:[1]` });
    expect(await leasesOf(store, 'next').acquire(ITEM)).toBeNull();
  });

  it('is not judged dead when its holder recorded another host', async () => {
    const store = await open();
    await heldAs(store, { holder_pid: deadPid(), holder_host: `not-${hostname()}` });
    expect(await leasesOf(store, 'next').acquire(ITEM)).toBeNull();
  });

  it('records who holds it: host, pid space, pid and start time of the acquiring process', async () => {
    const store = await open();
    const { lease } = await heldAs(store);
    expect(await leasesOf(store, 'next').get(ITEM)).toMatchObject({ leaseHolder: 'first', epoch: lease.epoch });
    const holder = `SELECT holder_host, holder_pid_space, holder_pid, holder_start FROM work_items WHERE id = '${ITEM}'`;
    expect(await store.select(holder)).toEqual([
      {
        holder_host: hostname(),
        holder_pid_space: ownPidSpace(),
        holder_pid: process.pid,
        holder_start: processStartTime(process.pid) ?? null,
      },
    ]);
  });
});
