import { defineWorkload } from '../workload.js';

/** The lock-contention fault's process: holds SQLite's write lock for holdMs, `repeat` times. */
export const lockHolder = defineWorkload<'lock-holder'>({
  async run({ db, channel }, params) {
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (let round = 1; round <= params.repeat; round++) {
      db.writeTransaction(() => {
        channel.emit({ kind: 'lock.held', holdMs: params.holdMs, round });
        // Holding the lock for a fixed time is the fault itself, not a synchronisation wait.
        Atomics.wait(sleeper, 0, 0, params.holdMs);
      });
      channel.emit({ kind: 'lock.released', round });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return { rounds: params.repeat };
  },
});
