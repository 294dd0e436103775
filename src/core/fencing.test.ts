import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { lines } from '../../test/helpers/lines.js';
import { describeEachStore, type StoreUnderTest } from '../../test/helpers/stores.js';
import { until } from '../../test/helpers/until.js';
import { CheckpointManager } from './checkpoints.js';
import { LeaseManager } from './leases.js';
import { TaskRunner } from './task-runner.js';
import { ToolLedger } from './tool-ledger.js';

const LEASE_MS = 60_000;

/** Worker "a" holds work item "job" (epoch 1); nothing has expired yet. */
async function held({ db }: StoreUnderTest) {
  const leases = new LeaseManager(db, { workerId: 'a', leaseDurationMs: LEASE_MS });
  await leases.enqueue([{ id: 'job', taskId: 'job-task' }]);
  const lease = await leases.acquire('job');
  if (!lease) throw new Error('"a" did not get the lease');
  return { leases, lease };
}

/** How a call settled, short enough for a test's failure message: its error, or that it was accepted. */
async function settled(call: Promise<unknown>): Promise<string> {
  try {
    const returned = await call;
    if (returned && typeof returned === 'object' && 'replayed' in returned) {
      return `accepted (${returned.replayed ? 'replayed' : 'executed'})`;
    }
    return 'accepted';
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

describeEachStore('A lease that expired, nobody having taken it over', (open) => {
  it('refuses a checkpoint and a tool call under it (the command does not run), as it accepted them before', async () => {
    const store = await open();
    const { db, dir } = store;
    const { leases, lease } = await held(store);
    const checkpoints = new CheckpointManager(db);
    const tools = new ToolLedger(db);
    const side = join(dir, 'side-effects.txt');

    // While the lease is live both writes are accepted: the refusals below are the expiry's doing.
    await checkpoints.commit(checkpoints.begin('job-task', 'live', {}), undefined, { lease });
    expect((await tools.run(`echo live >> ${side}`, { cwd: dir, lease })).replayed).toBe(false);

    await store.expire('job');
    // Expired, not swept and not taken over: still leased to "a" at epoch 1.
    expect(await leases.get('job')).toMatchObject({ status: 'leased', leaseHolder: 'a', epoch: 1 });

    const outcome = {
      checkpoint: await settled(checkpoints.commit(checkpoints.begin('job-task', 'late', {}), undefined, { lease })),
      tool: await settled(tools.run(`echo late >> ${side}`, { cwd: dir, lease })),
      lastCheckpoint: (await checkpoints.getLast('job-task'))?.step,
      sideEffects: lines(side),
    };
    expect(outcome).toEqual({
      checkpoint: expect.stringMatching(
        /^LeaseLostError: checkpoint on work item "job" by worker "a" with epoch 1 refused: the lease expired at \d+ \(now \d+\)$/,
      ) as unknown,
      tool: expect.stringMatching(
        /^LeaseLostError: tool-start on work item "job" .* refused: the lease expired at/,
      ) as unknown,
      lastCheckpoint: 'live',
      sideEffects: ['live'],
    });
  });

  it('refuses the result of a command whose lease expired while it ran: the call is left in doubt', async () => {
    const store = await open();
    const { db, dir } = store;
    const { lease } = await held(store);
    const tools = new ToolLedger(db);
    const side = join(dir, 'side-effects.txt');
    const gate = join(dir, 'gate');
    const command = `echo ran >> ${side}; while [ ! -e ${gate} ]; do sleep 0.01; done`;

    const run = settled(tools.run(command, { cwd: dir, lease }));
    await until(() => lines(side).length === 1);
    await store.expire('job');
    writeFileSync(gate, '');
    const finish = await run;
    // The command ran, its result was not recorded: whoever holds the lease next finds the call in doubt.
    const next = await settled(tools.run(command, { cwd: dir }));
    expect({ finish, next, sideEffects: lines(side) }).toEqual({
      finish: expect.stringMatching(
        /^LeaseLostError: tool-finish on work item "job" .* refused: the lease expired at/,
      ) as unknown,
      next: expect.stringMatching(/^InDoubtToolCallError: /) as unknown,
      sideEffects: ['ran'],
    });
  });

  it('stops a task runner whose lease expired during its last step at that step’s checkpoint; another resumes', async () => {
    const store = await open();
    const { db } = store;
    const checkpoints = new CheckpointManager(db);
    const executed: string[] = [];
    let expireDuringTwo = true;
    const definition = {
      initialState: [] as string[],
      steps: ['one', 'two'].map((name) => ({
        name,
        run: async (trail: string[]) => {
          executed.push(name);
          if (name === 'two' && expireDuringTwo) {
            expireDuringTwo = false;
            await store.expire('task:t');
          }
          return [...trail, name];
        },
      })),
    };
    const first = new TaskRunner(db, checkpoints, definition, { workerId: 'first', leaseDurationMs: LEASE_MS });
    const stopped = await settled(first.run('t'));
    // Nothing of step "two" was recorded: the task is as the lease's next holder must find it.
    expect({
      run: stopped,
      lastCheckpoint: (await checkpoints.getLast('t'))?.step,
      task: await first.status('t'),
    }).toEqual({
      run: expect.stringMatching(
        /^LeaseLostError: checkpoint on work item "task:t" by worker "first" with epoch 1 refused: the lease expired at/,
      ) as unknown,
      lastCheckpoint: 'one',
      task: { status: 'running', error: null },
    });

    const second = new TaskRunner(db, checkpoints, definition, { workerId: 'second', leaseDurationMs: LEASE_MS });
    expect(await second.run('t')).toMatchObject({
      status: 'succeeded',
      resumedAfter: 'one',
      executed: ['two'],
      state: ['one', 'two'],
    });
    expect(executed).toEqual(['one', 'two', 'two']);
  });
});
