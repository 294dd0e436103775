import type { Fault } from '../schema.js';
import { SUBJECT_VARIABLE, type WorkerSubjectConfig } from '../subject.js';
import { pgUrl } from '../postgres/pg-server.js';
import type { Injector } from './injector.js';
import { TcpProxy } from './tcp-proxy.js';

type NetworkFault = Extract<Fault, { kind: 'network' }>;

function describe(fault: NetworkFault): string {
  if (fault.mode === 'blackhole') return 'holds every byte (partition)';
  return fault.mode === 'reset' ? 'resets every connection' : `delays every chunk by ${fault.latencyMs} ms`;
}

/**
 * Each run's proxies, one per target: every network fault on a target acts on the same proxy, so its workers'
 * connections see each fault in turn. Keyed by the run's subject object (one per run).
 */
const proxies = new WeakMap<WorkerSubjectConfig, Map<string, TcpProxy>>();

function proxyOf(subject: WorkerSubjectConfig, target: string): TcpProxy | undefined {
  return proxies.get(subject)?.get(target);
}

/** The server's URL as the subject has it now (a pg-crash set-up may have pointed it at its own server). */
function serverOf(subject: WorkerSubjectConfig): URL {
  return new URL(pgUrl(subject.pgUrl));
}

/**
 * Network faults between the target's workers and the database server: their connections go through a TCP proxy
 * (the other workers connect directly), which then holds every byte (blackhole: a partition of those workers while
 * the others go on), resets every connection, or delays every chunk.
 */
export const network: Injector<NetworkFault> = {
  needs: 'server',
  async setup(fault, context) {
    const byTarget = proxies.get(context.subject) ?? new Map<string, TcpProxy>();
    proxies.set(context.subject, byTarget);
    if (byTarget.has(fault.target)) return undefined;
    // The upstream is looked up per connection, when every set-up has run.
    const proxy = await TcpProxy.start(() => {
      const url = serverOf(context.subject);
      return { host: url.searchParams.get('host') ?? url.hostname, port: Number(url.port || 5432) };
    });
    byTarget.set(fault.target, proxy);
    return () => proxy.close();
  },

  workerEnv(fault, worker, subject) {
    const proxy = proxyOf(subject, fault.target);
    if (!proxy || (worker.group !== fault.target && worker.id !== fault.target)) return undefined;
    const url = serverOf(subject);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    url.searchParams.delete('host');
    return { [SUBJECT_VARIABLE]: JSON.stringify({ ...subject, pgUrl: url.toString() }) };
  },

  inject(fault, rt) {
    const proxy = proxyOf(rt.subject, fault.target);
    if (!proxy) throw new Error('network: the proxy was not set up');
    const affected =
      fault.mode === 'reset'
        ? proxy.reset()
        : proxy.set(fault.mode === 'blackhole' ? { kind: 'blackhole' } : { kind: 'latency', ms: fault.latencyMs });
    rt.injected(`proxy of ${fault.target} ${describe(fault)}: ${affected} connection(s) open`, affected);
  },

  heal(fault, rt) {
    const proxy = proxyOf(rt.subject, fault.target);
    if (!proxy || fault.mode === 'reset' || proxy.mode.kind === 'pass') return;
    const before = proxy.connections;
    proxy.set({ kind: 'pass' });
    rt.healed(`proxy of ${fault.target} passes bytes again (${before} connection(s))`);
  },

  /**
   * A reset fired if it reset a connection; a black hole if it held one; a delay if a commit of the target afterwards
   * took at least two delays (a round trip through the proxy).
   */
  fired(fault, history, index) {
    const injected = history
      .select('fault.injected', { where: { fault: 'network', target: fault.target } })
      .find((e) => e.detail.includes(describe(fault)));
    if (!injected) return { fired: false, detail: `fault #${index}: never injected` };
    if (fault.mode !== 'latency')
      return injected.affected > 0
        ? { fired: true, detail: injected.detail }
        : { fired: false, detail: `${injected.detail}: no connection to act on` };
    const through = history.select('checkpoint.committed', { worker: fault.target }).filter((c) => c.t > injected.t);
    const slowed = through.filter((c) => c.latencyMs >= 2 * fault.latencyMs);
    return slowed.length > 0
      ? { fired: true, detail: `${injected.detail}; ${slowed.length} commit(s) took ≥ ${2 * fault.latencyMs} ms` }
      : { fired: false, detail: `${injected.detail}, but none of ${fault.target}'s commits was slowed` };
  },
};
