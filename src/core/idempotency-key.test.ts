import { describe, expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { until } from '../../test/helpers/until.js';
import {
  CheckpointManager,
  LeaseLostError,
  TaskError,
  TaskRunner,
  idempotencyKey,
  type TaskDefinition,
} from '../index.js';
import { occurrenceOf } from './idempotency-key.js';
import type { AgentStore } from '../store.js';

const TASK = 'order-1';
const RELEASE_1 = ['reserve', 'charge', 'email'];
/** The next release adds a step before charge. */
const RELEASE_2 = ['reserve', 'validate', 'charge', 'email'];

/** A payment API that honours idempotency keys, as a provider's does: one charge per key, however often asked. */
class FakePayments {
  /** Every key a request carried, in order. */
  readonly requests: string[] = [];
  /** The keys that charged the card: one per distinct key. */
  readonly charges: string[] = [];

  charge(idempotencyKey: string): void {
    this.requests.push(idempotencyKey);
    if (!this.charges.includes(idempotencyKey)) this.charges.push(idempotencyKey);
  }
}

/** The order task of one release: its `charge` step calls the payment API, then waits for `stall` if given. */
function orderTask(payments: FakePayments, steps: string[], stall?: Promise<void>): TaskDefinition<string[]> {
  return {
    initialState: [],
    steps: steps.map((name) => ({
      name,
      run: async (done: string[], ctx) => {
        if (name === 'charge') {
          payments.charge(ctx.idempotencyKey);
          await stall;
        }
        return [...done, name];
      },
    })),
  };
}

/**
 * Runs release 1 of the task until its charge step has called the payment API and leaves it there, as if the
 * process had died before the step's checkpoint; its lease is then ended. `wake` lets the stalled run go on, to be
 * refused (the task has a new owner by then).
 */
async function crashAfterCharging(
  db: AgentStore,
  payments: FakePayments,
  expire: (itemId: string) => Promise<void>,
): Promise<{ wake: () => Promise<void> }> {
  let resume!: () => void;
  const stall = new Promise<void>((resolve) => (resume = resolve));
  const crashed = new TaskRunner(db, new CheckpointManager(db), orderTask(payments, RELEASE_1, stall), {
    workerId: 'crashed',
  });
  const run = crashed.run(TASK);
  await until(() => payments.requests.length === 1);
  await expire(`task:${TASK}`);
  return {
    wake: async () => {
      resume();
      await expect(run).rejects.toThrow(LeaseLostError);
    },
  };
}

describeEachStore('idempotency keys', (open) => {
  it('keep the key of charge when the release that resumes the task adds a step before it: one charge', async () => {
    const { db, expire } = await open();
    const payments = new FakePayments();
    const crash = await crashAfterCharging(db, payments, expire);
    const resumed = await new TaskRunner(db, new CheckpointManager(db), orderTask(payments, RELEASE_2), {
      workerId: 'release-2',
    }).run(TASK);
    expect(resumed).toMatchObject({
      status: 'succeeded',
      resumedAfter: 'reserve',
      executed: ['validate', 'charge', 'email'],
    });
    await crash.wake();
    expect(payments.requests).toHaveLength(2);
    expect(payments.charges).toEqual([payments.requests[0]]);
  });

  it('give the same task id in two databases different keys', async () => {
    const first = await open();
    const second = await open();
    const payments = new FakePayments();
    for (const { db } of [first, second]) {
      const result = await new TaskRunner(db, new CheckpointManager(db), orderTask(payments, RELEASE_1)).run(TASK);
      expect(result.status).toBe('succeeded');
    }
    expect(payments.requests).toHaveLength(2);
    expect(payments.charges).toHaveLength(2);
  });

  it('give two occurrences of one step name different keys; the runner gives a step the key of its occurrence', async () => {
    const { db } = await open();
    const salt = await db.taskStore.idempotencySalt();
    if (salt === undefined) return expect.unreachable('a fresh database has its salt');
    const first = idempotencyKey({ salt, taskId: TASK, stepName: 'charge', occurrence: 0 });
    const second = idempotencyKey({ salt, taskId: TASK, stepName: 'charge', occurrence: 1 });
    expect(second).not.toBe(first);
    const payments = new FakePayments();
    await new TaskRunner(db, new CheckpointManager(db), orderTask(payments, RELEASE_1)).run(TASK);
    expect(payments.charges).toEqual([first]);
  });

  it('keep the salt when the database is reopened: a run resumed on another handle repeats the key', async () => {
    const { db, expire, reopen } = await open();
    const salt = await db.taskStore.idempotencySalt();
    expect(salt).toMatch(/^[0-9a-f]{32}$/);
    const payments = new FakePayments();
    const crash = await crashAfterCharging(db, payments, expire);
    // As a new process would: its own handle on the same database.
    const reopened = await reopen();
    expect(await reopened.taskStore.idempotencySalt()).toBe(salt);
    const resumed = await new TaskRunner(reopened, new CheckpointManager(reopened), orderTask(payments, RELEASE_1), {
      workerId: 'restarted',
    }).run(TASK);
    expect(resumed).toMatchObject({ status: 'succeeded', executed: ['charge', 'email'] });
    await crash.wake();
    expect(payments.requests).toHaveLength(2);
    expect(payments.charges).toEqual([payments.requests[0]]);
  });

  it('refuse to run a task, taking no lease, when the salt row is gone', async () => {
    const { db, exec, count } = await open();
    await exec('DELETE FROM idempotency_salt');
    const payments = new FakePayments();
    const runner = new TaskRunner(db, new CheckpointManager(db), orderTask(payments, RELEASE_1));
    await expect(runner.run(TASK)).rejects.toThrow(
      new TaskError(`${db.label} has no idempotency salt: its idempotency_salt row was deleted`),
    );
    expect(payments.requests).toEqual([]);
    expect(await count('work_items')).toBe(0);
  });
});

describe('occurrenceOf', () => {
  it('counts the steps of the same name before a step', () => {
    const steps = [{ name: 'charge' }, { name: 'email' }, { name: 'charge' }];
    expect(steps.map((_, i) => occurrenceOf(steps, i))).toEqual([0, 0, 1]);
  });
});
