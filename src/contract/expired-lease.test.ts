import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS, type ContractDb } from '../../test/helpers/backends.js';
import { until } from '../../test/helpers/until.js';

const LEASE_MS = 60_000;

/** Worker "a" holds work item "job" (epoch 1); nothing has expired yet. */
async function held(db: ContractDb) {
  const leases = db.leases('a', LEASE_MS);
  await leases.enqueue([{ id: 'job', taskId: 'job-task' }]);
  const lease = await leases.acquire('job');
  if (!lease) throw new Error('"a" did not get the lease');
  return { leases, lease };
}

/** The error a call settles with (a synchronous throw counts), or what it returned. */
async function outcomeOf(call: () => unknown): Promise<unknown> {
  try {
    return { returned: await call() };
  } catch (error) {
    return error;
  }
}

/** How a call settled, short enough for a test's failure message: its error, or that it was accepted. */
function settled(outcome: unknown): string {
  if (outcome instanceof Error) return `${outcome.name}: ${outcome.message}`;
  const returned = (outcome as { returned: unknown }).returned;
  if (returned && typeof returned === 'object' && 'replayed' in returned) {
    return `accepted (${returned.replayed ? 'replayed' : 'executed'})`;
  }
  if (returned && typeof returned === 'object' && 'status' in returned) return `returned ${String(returned.status)}`;
  return 'accepted';
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe.each(BACKENDS)('$name: a lease that expired, nobody having taken it over', ({ skip, use }) => {
  describe.skipIf(skip !== undefined)('is refused for every fenced write', () => {
    const open = use();

    it('refuses a checkpoint and a tool call under it (the command does not run), as it accepted them before', async () => {
      const db = await open();
      const { leases, lease } = await held(db);
      const checkpoints = db.checkpoints();
      const tools = db.tools();
      const side = join(db.dir, 'side-effects.txt');

      // While the lease is live both writes are accepted: the refusals below are the expiry's doing.
      await checkpoints.commit(checkpoints.begin('job-task', 'live', {}), undefined, { lease });
      expect((await tools.run(`echo live >> ${side}`, { cwd: db.dir, lease })).replayed).toBe(false);

      await db.expire('job');
      // Expired, not swept and not taken over: still leased to "a" at epoch 1.
      expect(await leases.get('job')).toMatchObject({ status: 'leased', leaseHolder: 'a', epoch: 1 });

      const outcome = {
        checkpoint: settled(
          await outcomeOf(() => checkpoints.commit(checkpoints.begin('job-task', 'late', {}), undefined, { lease })),
        ),
        tool: settled(await outcomeOf(() => tools.run(`echo late >> ${side}`, { cwd: db.dir, lease }))),
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
      const db = await open();
      const { lease } = await held(db);
      const tools = db.tools();
      const side = join(db.dir, 'side-effects.txt');
      const gate = join(db.dir, 'gate');
      const command = `echo ran >> ${side}; while [ ! -e ${gate} ]; do sleep 0.01; done`;

      const run = outcomeOf(() => tools.run(command, { cwd: db.dir, lease }));
      await until(() => lines(side).length === 1);
      await db.expire('job');
      writeFileSync(gate, '');
      const finish = settled(await run);
      // The command ran, its result was not recorded: whoever holds the lease next finds the call in doubt.
      const next = settled(await outcomeOf(() => tools.run(command, { cwd: db.dir })));
      expect({ finish, next, sideEffects: lines(side) }).toEqual({
        finish: expect.stringMatching(
          /^LeaseLostError: tool-finish on work item "job" .* refused: the lease expired at/,
        ) as unknown,
        next: expect.stringMatching(/^InDoubtToolCallError: /) as unknown,
        sideEffects: ['ran'],
      });
    });

    it('stops a task runner whose lease expired during its last step at that step’s checkpoint; another resumes', async () => {
      const db = await open();
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
              await db.expire('task:t');
            }
            return [...trail, name];
          },
        })),
      };
      const first = db.runner(definition, { workerId: 'first', leaseDurationMs: LEASE_MS });
      const stopped = await outcomeOf(() => first.run('t'));
      // Nothing of step "two" was recorded: the task is as the lease's next holder must find it.
      expect({
        run: settled(stopped),
        lastCheckpoint: (await db.checkpoints().getLast('t'))?.step,
        task: await first.status('t'),
      }).toEqual({
        run: expect.stringMatching(
          /^LeaseLostError: checkpoint on work item "task:t" by worker "first" with epoch 1 refused: the lease expired at/,
        ) as unknown,
        lastCheckpoint: 'one',
        task: { status: 'running', error: null },
      });

      const second = db.runner(definition, { workerId: 'second', leaseDurationMs: LEASE_MS });
      expect(await second.run('t')).toMatchObject({
        status: 'succeeded',
        resumedAfter: 'one',
        executed: ['two'],
        state: ['one', 'two'],
      });
      expect(executed).toEqual(['one', 'two', 'two']);
    });
  });
});
