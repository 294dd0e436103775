import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type LeaseExpiryFault = Extract<Fault, { kind: 'lease-expiry' }>;

/**
 * The target's leases end now, as if their time had run out, carried out the way the subject decides expiry (no one
 * waits): on a server, by its clock, for everyone; where each process's clock decides (SQLite), by moving the clocks of
 * the `seenBy` workers just past the latest of those leases' expiries, and waiting until each has confirmed it.
 */
export const leaseExpiry: Injector<LeaseExpiryFault> = {
  needs: 'leases',
  inject(fault, rt) {
    // Every worker of the target ever started, the dead too: a lease outlives the holder that was killed.
    const holders = [
      ...new Set(
        rt.history
          .select('worker.started')
          .filter((e) => e.group === fault.target || e.worker === fault.target)
          .map((e) => e.worker),
      ),
    ];
    const expireLeases = rt.handle.expireLeases?.bind(rt.handle);
    if (!expireLeases) throw new Error(`the subject ${rt.subject.name} has no leases to end`);
    return (async () => {
      try {
        const expiry = await expireLeases(holders);
        if (expiry.by === 'server') {
          const { expired } = expiry;
          rt.injected(`${expired} lease(s) of ${holders.join(', ')} expired by the server's clock`, expired);
          return;
        }
        const observers = fault.seenBy === undefined ? [] : rt.workers(fault.seenBy);
        const confirmed = observers.map((w) => rt.next('clock.skewed', w.id));
        for (const w of observers) w.send({ cmd: 'skew-past', t: expiry.until });
        await Promise.all(confirmed);
        const seen = observers.length > 0 ? expiry.held : 0;
        rt.injected(
          `${expiry.held} lease(s) of ${holders.join(', ')} expired for ${observers.map((w) => w.id).join(', ') || 'nobody (no live worker of seenBy)'}: their clocks moved past ${new Date(expiry.until).toISOString()}`,
          seen,
        );
      } catch (error) {
        rt.injected(`could not expire: ${error instanceof Error ? error.message : String(error)}`, 0);
      }
    })();
  },

  fired(fault, history, index) {
    const injected = history.select('fault.injected', { where: { fault: 'lease-expiry', target: fault.target } });
    const hit = injected.filter((e) => e.affected > 0);
    return hit.length > 0
      ? { fired: true, detail: hit.map((e) => e.detail).join('; ') }
      : { fired: false, detail: `fault #${index}: ${injected[0]?.detail ?? 'never injected'}` };
  },
};
