import { defineWorkload } from '../workload.js';

/** The lock-contention fault's process: holds the subject's write lock for holdMs, `repeat` times. */
export const lockHolder = defineWorkload<'lock-holder'>({
  async run({ channel, openSubject }, params) {
    const store = await openSubject();
    for (let round = 1; round <= params.repeat; round++) {
      await store.holdWriteLock(params.holdMs, () => channel.emit({ kind: 'lock.held', holdMs: params.holdMs, round }));
      channel.emit({ kind: 'lock.released', round });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { rounds: params.repeat };
  },
});
