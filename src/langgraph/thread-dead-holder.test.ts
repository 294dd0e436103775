import { execFileSync } from 'node:child_process';
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import { describe, expect, it } from 'vitest';
import { useTempDb } from '../../test/helpers/temp-db.js';
import { LeaseLostError, type AgentDatabase } from '../index.js';
import { AgentosSaver, ThreadBusyError } from './index.js';

const thread = { configurable: { thread_id: 't' } };
const meta = { source: 'loop' as const, step: 0, parents: {} };
const checkpoint = () => ({ ...emptyCheckpoint(), id: uuid6(-1) });

/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}

/** Makes the thread's work item name a holder process that is gone, as a saver killed with SIGKILL leaves it. */
function holderDied(db: AgentDatabase): void {
  db.sqlite.prepare("UPDATE work_items SET holder_pid = ? WHERE id = 'thread:t'").run(deadPid());
}

describe('AgentosSaver: a thread whose holder process died', () => {
  const tempDb = useTempDb();

  it('is taken over at once, and the dead holder’s writes are refused', async () => {
    const { db } = tempDb();
    const dead = new AgentosSaver(db, { workerId: 'dead', leaseDurationMs: 60_000 });
    await dead.put(thread, checkpoint(), meta, {});
    holderDied(db);

    const next = new AgentosSaver(db, { workerId: 'next', leaseDurationMs: 60_000 });
    await next.put(thread, checkpoint(), meta, {});
    await expect(dead.put(thread, checkpoint(), meta, {})).rejects.toBeInstanceOf(LeaseLostError);
    const log = db.sqlite
      .prepare("SELECT holder || '@' || epoch || ' ' || op FROM lease_log WHERE item_id = 'thread:t' ORDER BY seq")
      .pluck()
      .all();
    expect(log).toEqual(['dead@1 acquire', 'dead@1 langgraph-put', 'next@2 takeover', 'next@2 langgraph-put']);
  });

  it('waits for the lease with takeOverDeadHolders false', async () => {
    const { db } = tempDb();
    const dead = new AgentosSaver(db, { workerId: 'dead', leaseDurationMs: 60_000 });
    await dead.put(thread, checkpoint(), meta, {});
    holderDied(db);

    const patient = new AgentosSaver(db, { workerId: 'patient', takeOverDeadHolders: false });
    await expect(patient.put(thread, checkpoint(), meta, {})).rejects.toBeInstanceOf(ThreadBusyError);
  });
});
