import { execFileSync } from 'node:child_process';
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { LeaseLostError } from '../index.js';
import { AgentosSaver, ThreadBusyError } from './index.js';

const thread = { configurable: { thread_id: 't' } };
const meta = { source: 'loop' as const, step: 0, parents: {} };
const checkpoint = () => ({ ...emptyCheckpoint(), id: uuid6(-1) });

/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}

/** Makes the thread's work item name a holder process that is gone, as a saver killed with SIGKILL leaves it. */
const holderDied = `UPDATE work_items SET holder_pid = ${deadPid()} WHERE id = 'thread:t'`;

describeEachStore('AgentosSaver: a thread whose holder process died', (open) => {
  it('is taken over at once, and the dead holder’s writes are refused', async () => {
    const { db, exec, leaseLog } = await open();
    const dead = new AgentosSaver(db, { workerId: 'dead', leaseDurationMs: 60_000 });
    await dead.put(thread, checkpoint(), meta, {});
    await exec(holderDied);

    const next = new AgentosSaver(db, { workerId: 'next', leaseDurationMs: 60_000 });
    await next.put(thread, checkpoint(), meta, {});
    await expect(dead.put(thread, checkpoint(), meta, {})).rejects.toBeInstanceOf(LeaseLostError);
    expect(await leaseLog('thread:t')).toEqual([
      'acquire@1:dead',
      'langgraph-put@1:dead',
      'takeover@2:next',
      'langgraph-put@2:next',
    ]);
  });

  it('waits for the lease with takeOverDeadHolders false', async () => {
    const { db, exec } = await open();
    const dead = new AgentosSaver(db, { workerId: 'dead', leaseDurationMs: 60_000 });
    await dead.put(thread, checkpoint(), meta, {});
    await exec(holderDied);

    const patient = new AgentosSaver(db, { workerId: 'patient', takeOverDeadHolders: false });
    await expect(patient.put(thread, checkpoint(), meta, {})).rejects.toBeInstanceOf(ThreadBusyError);
  });
});
