import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { until } from '../../test/helpers/until.js';
import {
  CheckpointManager,
  LeaseManager,
  LeaseLostError,
  TaskBusyError,
  TaskError,
  TaskRunner,
  evidence,
  type StepContext,
  type TaskStep,
} from '../index.js';

interface S {
  trail: string[];
}

function steps(names: string[], runs: string[], failOn?: string): TaskStep<S>[] {
  return names.map((name) => ({
    name,
    run: (state: S) => {
      runs.push(name);
      if (name === failOn) throw new Error(`${name} exploded`);
      return { trail: [...state.trail, name] };
    },
  }));
}

describeEachStore('TaskRunner', (open) => {
  it('runs one lease renewal at a time: a timer tick during the renewal before a step shares it', async () => {
    const { db, dir } = await open();
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the manager as this
    const renew = LeaseManager.prototype.renew;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inFlight = 0;
    let most = 0;
    // Renewals that answer only when the test says so, as over a slow link.
    const spy = vi.spyOn(LeaseManager.prototype, 'renew').mockImplementation(function (this: LeaseManager, lease) {
      most = Math.max(most, ++inFlight);
      return gate.then(() => {
        inFlight--;
        return renew.call(this, lease);
      }) as unknown as ReturnType<typeof renew>;
    });
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const runner = new TaskRunner(
        db,
        new CheckpointManager(db, { baseDir: dir }),
        { steps: [{ name: 'one', run: (n: number) => n + 1 }], initialState: 0 },
        { leaseDurationMs: 3000, renewIntervalMs: 1000 },
      );
      const outcome = runner.run('t');
      await until(() => inFlight === 1);
      vi.advanceTimersByTime(3000);
      release();
      expect((await outcome).status).toBe('succeeded');
      expect(most).toBe(1);
    } finally {
      vi.useRealTimers();
      spy.mockRestore();
    }
  });

  it('runs every step in order, checkpointing each, and ends succeeded', async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db);
    const runs: string[] = [];
    const runner = new TaskRunner(db, cm, { steps: steps(['a', 'b', 'c'], runs), initialState: { trail: [] } });
    const result = await runner.run('t1');
    expect(result).toMatchObject({
      status: 'succeeded',
      state: { trail: ['a', 'b', 'c'] },
      resumedAfter: null,
      executed: ['a', 'b', 'c'],
    });
    expect((await cm.list('t1')).map((c) => [c.seq, c.step])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect((await runner.status('t1'))?.status).toBe('succeeded');
  });

  it('resumes after the last checkpoint, with its state, never re-running a committed step', async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db);
    const runs: string[] = [];
    const failing = new TaskRunner(db, cm, {
      steps: steps(['a', 'b', 'c', 'd'], runs, 'c'),
      initialState: { trail: [] },
    });
    expect(await failing.run('t')).toMatchObject({ status: 'failed', error: 'step "c": c exploded' });
    // A failed task is terminal: running it again returns the failure without executing anything.
    expect((await failing.run('t')).status).toBe('failed');
    expect(runs).toEqual(['a', 'b', 'c']);

    expect((await cm.list('t')).map((c) => c.step)).toEqual(['a', 'b']);
  });

  it('resumes after a runner died mid-task: its lease expires, the next run takes over and never re-runs a committed step', async () => {
    const { db, expire } = await open();
    const cm = new CheckpointManager(db);
    const runs: string[] = [];
    let release: () => void = () => undefined;
    const hanging = new Promise<void>((resolve) => (release = resolve));
    const dying = new TaskRunner(
      db,
      cm,
      {
        initialState: { trail: [] },
        steps: steps(['a', 'b'], runs).concat(
          { name: 'c', run: async (s: S) => (runs.push('c (stuck)'), await hanging, { trail: [...s.trail, 'c'] }) },
          steps(['d'], runs),
        ),
      },
      { workerId: 'dying', leaseDurationMs: 1000, renewIntervalMs: 999 },
    );
    const stuck = dying.run('t');
    await until(() => runs.includes('c (stuck)'));
    // The runner is as good as dead (think SIGSTOP); its lease runs out.
    await expire('task:t');
    const resumer = new TaskRunner(
      db,
      cm,
      { steps: steps(['a', 'b', 'c', 'd'], runs), initialState: { trail: [] } },
      { workerId: 'resumer' },
    );
    const result = await resumer.run('t');
    expect(result).toMatchObject({
      status: 'succeeded',
      resumedAfter: 'b',
      executed: ['c', 'd'],
      state: { trail: ['a', 'b', 'c', 'd'] },
    });
    // The stale runner wakes up: its checkpoint of c is refused, and it records nothing more.
    release();
    await expect(stuck).rejects.toMatchObject({
      name: 'LeaseLostError',
      operation: 'checkpoint',
      epoch: 1,
      currentEpoch: 2,
    });
    expect((await cm.list('t')).map((c) => `${c.seq}:${c.step}`)).toEqual(['1:a', '2:b', '3:c', '4:d']);
    expect((await resumer.status('t'))?.status).toBe('succeeded');
    expect(runs).toEqual(['a', 'b', 'c (stuck)', 'c', 'd']);
  });

  it('gives a task one owner: a second runner gets TaskBusyError naming the holder, and no step runs twice', async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db);
    const effects: string[] = [];
    let entered = (): void => undefined;
    const inStep = new Promise<void>((resolve) => (entered = resolve));
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const definition = {
      initialState: { trail: [] as string[] },
      steps: ['charge-card', 'email'].map((name) => ({
        name,
        run: async (s: S) => {
          effects.push(name);
          if (name === 'charge-card') {
            entered();
            await gate;
          }
          return { trail: [...s.trail, name] };
        },
      })),
    };
    const first = new TaskRunner(db, cm, definition, { workerId: 'first' });
    const second = new TaskRunner(db, cm, definition, { workerId: 'second' });
    const owner = first.run('order-1');
    await inStep;
    // While the owner is inside its first step, another runner and another run of the same runner are refused.
    const busy = await Promise.allSettled([second.run('order-1'), first.run('order-1')]);
    release();
    expect(await owner).toMatchObject({ status: 'succeeded' });
    expect(effects).toEqual(['charge-card', 'email']);
    expect((await cm.list('order-1')).map((c) => `${c.seq}:${c.step}`)).toEqual(['1:charge-card', '2:email']);
    for (const result of busy) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: { name: 'TaskBusyError', taskId: 'order-1', holder: 'first' },
      });
    }
    // Once the owner has finished, a run returns the stored outcome and executes nothing.
    expect(await second.run('order-1')).toMatchObject({ status: 'succeeded', executed: [] });
  });

  it("with onBusy 'wait', a second runner waits for the owner and returns its outcome without running a step", async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db);
    const runs: string[] = [];
    let entered = (): void => undefined;
    const inStep = new Promise<void>((resolve) => (entered = resolve));
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gated: TaskStep<S> = {
      name: 'a',
      run: async (s: S) => {
        runs.push('a');
        entered();
        await gate;
        return { trail: [...s.trail, 'a'] };
      },
    };
    const owner = new TaskRunner(db, cm, { steps: [gated, ...steps(['b'], runs)], initialState: { trail: [] } });
    const waiter = new TaskRunner(
      db,
      cm,
      { steps: steps(['a', 'b'], runs), initialState: { trail: [] } },
      {
        workerId: 'waiter',
        onBusy: 'wait',
      },
    );
    const owned = owner.run('t');
    // The waiter asks only once the owner holds the task (which of two first acquisitions wins is the store's choice).
    await inStep;
    const waited = waiter.run('t');
    release();
    expect(await owned).toMatchObject({ status: 'succeeded', executed: ['a', 'b'] });
    expect(await waited).toMatchObject({ status: 'succeeded', executed: [] });
    expect(runs).toEqual(['a', 'b']);
  });

  it('gives each step an idempotency key that is the same on every run of that step of that task', async () => {
    const { db, exec } = await open();
    const cm = new CheckpointManager(db);
    const keys: string[] = [];
    const failOnce = { armed: true };
    const definition = {
      initialState: { trail: [] },
      steps: ['a', 'b'].map((name) => ({
        name,
        run: (s: S, ctx: StepContext) => {
          keys.push(`${name} ${ctx.idempotencyKey}`);
          if (name === 'b' && failOnce.armed) throw new Error('crash');
          return s;
        },
      })),
    };
    expect((await new TaskRunner(db, cm, definition).run('t')).status).toBe('failed');
    // As after a crash in b: the task is running again and its lease has expired.
    await exec("UPDATE tasks SET status = 'running' WHERE id = 't'");
    await exec("UPDATE work_items SET status = 'leased', lease_expires_at = 0 WHERE id = 'task:t'");
    failOnce.armed = false;
    expect((await new TaskRunner(db, cm, definition).run('t')).status).toBe('succeeded');
    expect(keys).toHaveLength(3);
    expect(keys[1]).toBe(keys[2]);
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[1]).toMatch(/^b agentos-[0-9a-f]{40}$/);
    expect((await new TaskRunner(db, cm, definition).run('other')).status).toBe('succeeded');
    expect(keys.slice(3)).not.toContain(keys[1]);
  });

  it('fails the task when a step’s evidence does not verify', async () => {
    const { db, dir } = await open();
    const cm = new CheckpointManager(db, { baseDir: dir });
    const runner = new TaskRunner(db, cm, {
      initialState: { trail: [] },
      steps: [
        {
          name: 'write',
          run: (s: S) => (writeFileSync(join(dir, 'out.txt'), 'x'), s),
          evidence: () => evidence.pack(evidence.fileExists('out.txt')),
        },
        { name: 'claim', run: (s: S) => s, evidence: () => evidence.pack(evidence.fileExists('never-written.txt')) },
        { name: 'after', run: () => expect.unreachable('must not run after a failed verification') },
      ],
    });
    const result = await runner.run('t');
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(
      /step "claim": checkpoint \d+ failed verification: item 0 \(file-exists\): "never-written.txt" does not exist/,
    );
  });

  it('verifies an unverified last checkpoint before resuming, and fails rather than re-running it', async () => {
    const { db, dir, exec } = await open();
    const lazy = new CheckpointManager(db, { baseDir: dir, autoVerify: false });
    await lazy.commit(lazy.begin('t', 'a', { trail: ['a'] }), evidence.pack(evidence.fileExists('gone.txt')));
    await exec("INSERT INTO tasks (id, status, created_at, updated_at) VALUES ('t', 'running', 0, 0)");
    const runs: string[] = [];
    const result = await new TaskRunner(db, lazy, { steps: steps(['a', 'b'], runs), initialState: { trail: [] } }).run(
      't',
    );
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/failed verification/);
    expect(runs).toEqual([]);
  });

  it('rejects duplicate step names and a checkpoint for an unknown step', async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db);
    expect(() => new TaskRunner(db, cm, { steps: steps(['a', 'a'], []), initialState: { trail: [] } })).toThrow(
      TaskError,
    );
    await cm.commit(cm.begin('t', 'zzz', { trail: [] }));
    await expect(
      new TaskRunner(db, cm, { steps: steps(['a'], []), initialState: { trail: [] } }).run('t'),
    ).rejects.toThrow(/checkpoint for step "zzz", which its definition does not contain/);
  });

  it('refuses a renewal interval as long as the lease: the lease would lapse while a step runs', async () => {
    const { db } = await open();
    const definition = { steps: steps(['a'], []), initialState: { trail: [] } };
    expect(
      () => new TaskRunner(db, new CheckpointManager(db), definition, { leaseDurationMs: 200, renewIntervalMs: 1000 }),
    ).toThrow(/renewIntervalMs \(1000\) must be less than leaseDurationMs \(200\)/);
  });
  const step = (name: string, run?: () => Promise<void>) => ({
    name,
    run: async (trail: string[]) => {
      await run?.();
      return [...trail, name];
    },
  });

  it('runs the steps in order, checkpointing each, and records the end with the lease completed', async () => {
    const { db, leaseLog } = await open();
    const cm = new CheckpointManager(db);
    const runner = new TaskRunner(
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
    expect((await new LeaseManager(db, { workerId: 'x' }).get('task:t'))?.status).toBe('completed');
    expect((await runner.run('t')).executed).toEqual([]);
    // In commit order, the completion last: no write may follow it at the same epoch.
    expect(await leaseLog('task:t')).toEqual([
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
    const { db, expire } = await open();
    const cm = new CheckpointManager(db);
    let entered = (): void => undefined;
    const inStep = new Promise<void>((resolve) => (entered = resolve));
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = new TaskRunner(
      db,
      cm,
      { steps: [step('a'), step('b', async () => (entered(), gate))], initialState: [] as string[] },
      { workerId: 'first' },
    );
    const firstRun = first.run('t');
    await inStep;
    await expect(
      new TaskRunner(db, cm, { steps: [step('a'), step('b')], initialState: [] as string[] }, { workerId: 'x' }).run(
        't',
      ),
    ).rejects.toThrow(TaskBusyError);
    await expire('task:t');
    const second = new TaskRunner(
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
