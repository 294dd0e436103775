import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { ThrowawayCluster, serverBinaries } from '../postgres/pg-cluster.js';
import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type PgCrashFault = Extract<Fault, { kind: 'pg-crash' }>;

/** Each run's cluster, and its restart while one is under way (awaited by the teardown). */
const clusters = new WeakMap<PgCrashFault, { cluster: ThrowawayCluster; restarting?: Promise<void> }>();

/**
 * The database server fails mid-run, on a throwaway cluster started for the run (the subject pointed at it). crash:
 * every server process gets SIGKILL at once, as in a machine crash; after downMs it is started again and replays its
 * WAL. pause: every server process gets SIGSTOP (connections hang, nothing is refused); after downMs, SIGCONT.
 */
export const pgCrash: Injector<PgCrashFault> = {
  needs: 'server',
  unavailable() {
    const binaries = serverBinaries();
    return 'missing' in binaries ? binaries.missing : null;
  },

  async setup(fault, context) {
    const cluster = await ThrowawayCluster.start(mkdtempSync(join(tmpdir(), 'agentos-chaos-pg-')));
    clusters.set(fault, { cluster });
    context.usePgServer(cluster.url);
    return async () => {
      await clusters.get(fault)?.restarting?.catch(() => undefined);
      await cluster.stop();
    };
  },

  inject(fault, rt) {
    const state = clusters.get(fault);
    if (!state) throw new Error('pg-crash: the cluster was not set up');
    const pause = fault.mode === 'pause';
    const hit = pause ? state.cluster.signal('SIGSTOP') : state.cluster.crash();
    rt.injected(`${pause ? 'SIGSTOP' : 'SIGKILL'} to all ${hit} server processes (port ${state.cluster.port})`, hit);
    const down = performance.now();
    state.restarting = (async () => {
      // The downtime is the fault itself, not a synchronisation wait.
      await delay(fault.downMs);
      if (pause) state.cluster.signal('SIGCONT');
      else await state.cluster.restart();
      rt.healed(
        `server back after ${Math.round(performance.now() - down)} ms (${pause ? 'resumed' : 'crash recovery done'})`,
      );
    })();
    state.restarting.catch((error: unknown) =>
      rt.healed(`restart failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  },

  async settle(fault) {
    await clusters.get(fault)?.restarting?.catch(() => undefined);
  },

  fired(_fault, history, index) {
    const injected = history.select('fault.injected', { where: { fault: 'pg-crash' } });
    const healed = history.select('fault.healed', { where: { fault: 'pg-crash' } });
    const back = healed.find((h) => h.detail.startsWith('server back'));
    if (!injected.some((e) => e.affected > 0))
      return { fired: false, detail: `fault #${index}: the server was not killed` };
    if (!back) return { fired: false, detail: `the server was killed but never came back: ${healed[0]?.detail ?? ''}` };
    const after = history.select('checkpoint.committed').filter((c) => c.t > back.t).length;
    return after > 0
      ? { fired: true, detail: `${injected[0]?.detail ?? ''}; ${back.detail}; ${after} commit(s) after the restart` }
      : { fired: false, detail: `${back.detail}, but no commit followed the restart` };
  },
};
