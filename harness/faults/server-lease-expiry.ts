import { openPgDatabase } from '../../src/pg/index.js';
import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type ServerLeaseExpiryFault = Extract<Fault, { kind: 'server-lease-expiry' }>;

/**
 * The target's leases end now by the server's clock, as if their time had run out: lease expiry is the server's
 * decision, so time is moved where it is kept instead of being waited for.
 */
export const serverLeaseExpiry: Injector<ServerLeaseExpiryFault> = {
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
    const subject = rt.subject;
    return (async () => {
      try {
        const db = await openPgDatabase({
          ...(subject.pgUrl !== undefined ? { connectionString: subject.pgUrl } : {}),
          ...(subject.schema !== undefined ? { schema: subject.schema } : {}),
          maxConnections: 1,
        });
        try {
          const rows = await db.query<{ id: string }>(
            `UPDATE work_items SET lease_expires_at = agentos_now_ms()
             WHERE status = 'leased' AND lease_holder = ANY($1::text[]) RETURNING id`,
            [holders],
          );
          rt.injected(`${rows.length} lease(s) of ${holders.join(', ')} expired by the server's clock`, rows.length);
        } finally {
          await db.close();
        }
      } catch (error) {
        rt.injected(`could not expire: ${error instanceof Error ? error.message : String(error)}`, 0);
      }
    })();
  },

  fired(fault, history, index) {
    const injected = history.select('fault.injected', {
      where: { fault: 'server-lease-expiry', target: fault.target },
    });
    const hit = injected.filter((e) => e.affected > 0);
    return hit.length > 0
      ? { fired: true, detail: hit.map((e) => e.detail).join('; ') }
      : { fired: false, detail: `fault #${index}: ${injected[0]?.detail ?? 'never injected'}` };
  },
};
