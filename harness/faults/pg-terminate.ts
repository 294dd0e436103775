import pg from 'pg';
import { applicationName } from '../subject.js';
import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type PgTerminateFault = Extract<Fault, { kind: 'pg-terminate' }>;

/**
 * The server ends the target workers' connections (pg_terminate_backend), as an administrator or a failover would:
 * a statement in flight fails with its outcome unknown, and the worker must reconnect.
 */
export const pgTerminate: Injector<PgTerminateFault> = {
  needs: 'server',
  inject(fault, rt) {
    const names = rt.workers(fault.target).map((w) => applicationName(rt.subject, w.id));
    const client = new pg.Client(rt.subject.pgUrl !== undefined ? { connectionString: rt.subject.pgUrl } : {});
    client.on('error', () => undefined);
    return (async () => {
      try {
        await client.connect();
        // Found first, terminated after: in one WHERE, the server may call pg_terminate_backend before the filter.
        const found = await client.query<{ pid: number; name: string }>(
          'SELECT pid, application_name AS name FROM pg_stat_activity WHERE application_name = ANY($1::text[])',
          [names],
        );
        const terminated = await client.query<{ pid: number }>(
          'SELECT pid FROM unnest($1::int[]) AS pid WHERE pg_terminate_backend(pid)',
          [found.rows.map((r) => r.pid)],
        );
        const ended = new Set(terminated.rows.map((r) => r.pid));
        const rows = found.rows.filter((r) => ended.has(r.pid));
        rt.injected(
          `terminated ${rows.length} backend(s) of ${[...new Set(rows.map((r) => r.name.split('/')[1]))].join(', ') || 'nobody'}`,
          rows.length,
        );
      } catch (error) {
        rt.injected(`could not terminate: ${error instanceof Error ? error.message : String(error)}`, 0);
      } finally {
        await client.end().catch(() => undefined);
      }
    })();
  },

  fired(fault, history, index) {
    const injected = history.select('fault.injected', { where: { fault: 'pg-terminate', target: fault.target } });
    const hit = injected.filter((e) => e.affected > 0);
    return hit.length > 0
      ? { fired: true, detail: hit.map((e) => e.detail).join('; ') }
      : { fired: false, detail: `fault #${index}: ${injected[0]?.detail ?? 'never injected'}` };
  },
};
