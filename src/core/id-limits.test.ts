import { expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import {
  CheckpointManager,
  InvalidArgumentError,
  LeaseManager,
  RECOVERY_TASK_PREFIX,
  RecoverySweep,
  TaskRunner,
} from '../index.js';

const task = { steps: [{ name: 'one', run: (n: number) => n + 1 }], initialState: 0 };

describeEachStore('Id limits', (open) => {
  it('refuses a task id too long for the lease and recovery names the layer builds from it, writing nothing', async () => {
    const { db, dir, count } = await open();
    const runner = new TaskRunner(db, new CheckpointManager(db, { baseDir: dir }), task);
    for (const length of [493, 508]) {
      const refused = await runner.run('t'.repeat(length)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InvalidArgumentError);
      expect((refused as Error).message).toMatch(
        new RegExp(`^taskId must be at most 492 characters .*"lease-recovery:task:<taskId>".*, got ${length}$`),
      );
    }
    expect(await count('work_items')).toBe(0);
    await expect(runner.run('t'.repeat(492))).resolves.toMatchObject({ status: 'succeeded', state: 1 });
  });

  it('refuses a work item id too long for its recovery task; the longest is swept and found', async () => {
    const { db, expire } = await open();
    const leases = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    const refused = await leases.enqueue([{ id: 'i'.repeat(498) }]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect((refused as Error).message).toMatch(
      /^work item id must be at most 497 characters .*"lease-recovery:<work item id>".*, got 498$/,
    );
    expect(await leases.get('i'.repeat(498))).toBeNull();

    const longest = 'i'.repeat(497);
    await leases.enqueue([{ id: longest }]);
    await leases.acquire(longest);
    await expire(longest);
    expect((await new RecoverySweep(db).scanAndRecover()).checkpointsCreated).toBe(1);
    const recorded = await new CheckpointManager(db).list(`${RECOVERY_TASK_PREFIX}${longest}`);
    expect(recorded.map((c) => c.step)).toEqual(['lease-expired']);
  });

  it('reserves the sweep’s lease-recovery: prefix: a task id starting with it is refused, the sweep’s record stays', async () => {
    const { db, dir, expire, count } = await open();
    const leases = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    await leases.enqueue([{ id: 'job' }]);
    await leases.acquire('job');
    await expire('job');
    await new RecoverySweep(db).scanAndRecover();
    const cm = new CheckpointManager(db, { baseDir: dir });
    const reserved = /^taskId "lease-recovery:job" starts with "lease-recovery:", which the recovery sweep reserves/;

    const refused = await new TaskRunner(db, cm, task).run('lease-recovery:job').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect((refused as Error).message).toMatch(reserved);
    expect(() => cm.begin('lease-recovery:job', 'note', {})).toThrow(reserved);
    expect(await count('work_items')).toBe(1);
    expect((await cm.list('lease-recovery:job')).map((c) => c.step)).toEqual(['lease-expired']);
  });
});
