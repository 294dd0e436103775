import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type LeaseExpiryFault = Extract<Fault, { kind: 'lease-expiry' }>;

/** Forces every lease held by the target group's workers past its expiry, directly in the database. */
export const leaseExpiry: Injector<LeaseExpiryFault> = {
  inject(fault, rt) {
    const ids = rt.history.select('worker.started', { worker: fault.target }).map((e) => e.worker);
    const changed = rt.db.writeTransaction(
      () =>
        rt.db.sqlite
          .prepare(
            `UPDATE work_items SET lease_expires_at = 0
             WHERE status = 'leased' AND lease_holder IN (SELECT value FROM json_each(?))`,
          )
          .run(JSON.stringify(ids)).changes,
    );
    rt.injected(`${changed} lease(s) held by ${fault.target} forced past expiry`, changed);
  },
  fired(fault, history) {
    const affected = history
      .select('fault.injected', { where: { fault: 'lease-expiry', target: fault.target } })
      .reduce((n, e) => n + e.affected, 0);
    return affected > 0
      ? { fired: true, detail: `${affected} lease(s) expired` }
      : { fired: false, detail: `no lease held by "${fault.target}" was expired` };
  },
};
