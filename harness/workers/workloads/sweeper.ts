import { defineWorkload } from '../workload.js';

/** Runs the subject's recovery sweep each time the harness sends 'sweep' (on SQLite, by this worker's clock). */
export const sweeper = defineWorkload<'sweeper'>({
  async run({ channel, openSubject }, params) {
    const store = await openSubject();
    if (!store.sweep) throw new Error('sweeper needs a subject with leases');
    const sweep = store.sweep({ createCheckpoints: params.createCheckpoints });
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
