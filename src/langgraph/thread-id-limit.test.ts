import { expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { InvalidArgumentError } from '../index.js';
import { AgentosSaver } from './index.js';

describeEachStore('AgentosSaver thread ids', (open) => {
  it('refuses a thread id too long for the lease and recovery names built from it; the longest is taken', async () => {
    const { db, count } = await open();
    const saver = new AgentosSaver(db);
    for (const length of [491, 510]) {
      const refused = await saver.claimThread('t'.repeat(length)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InvalidArgumentError);
      expect((refused as Error).message).toMatch(
        new RegExp(
          `^AgentosSaver.claimThread: config.configurable.thread_id must be at most 490 characters .*"lease-recovery:thread:<thread_id>".*, got ${length}$`,
        ),
      );
    }
    expect(await count('work_items')).toBe(0);
    await saver.claimThread('t'.repeat(490));
    expect(await count('work_items')).toBe(1);
    await saver.releaseAll();
  });
});
