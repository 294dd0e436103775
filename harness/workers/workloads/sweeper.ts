import { RecoverySweep } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

/** Runs a recovery sweep each time the harness sends 'sweep' (its clock is the one the clock-skew fault moves). */
export const sweeper = defineWorkload<'sweeper'>({
  async run({ db, channel }, params) {
    const sweep = new RecoverySweep(db, { createCheckpoints: params.createCheckpoints });
    let recovered = 0;
    for (let done = 0; done < params.sweeps; ) {
      const command = await channel.nextCommand();
      if (command.cmd === 'stop') break;
      if (command.cmd !== 'sweep') continue;
      const stats = await sweep.scanAndRecover();
      recovered += stats.recovered;
      done++;
      channel.emit({
        kind: 'sweep.finished',
        expiredFound: stats.expiredFound,
        recovered: stats.recovered,
        errors: stats.errors,
        durationMs: stats.durationMs,
      });
    }
    return { recovered };
  },
});
