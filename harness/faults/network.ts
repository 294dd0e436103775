import type { Fault } from '../schema.js';
import { SUBJECT_VARIABLE, type SubjectConfig } from '../subjects/subject.js';
import { DEFAULT_PG_URL } from '../subjects/pg-server.js';
import type { Injector } from './injector.js';
import { TcpProxy } from './tcp-proxy.js';

type NetworkFault = Extract<Fault, { kind: 'network' }>;

function describe(fault: NetworkFault): string {
  if (fault.mode === 'blackhole') return 'holds every byte (partition)';
  return fault.mode === 'reset' ? 'resets every connection' : `delays every chunk by ${fault.latencyMs} ms`;
}

/** Each run's proxy, by fault. */
const proxies = new WeakMap<NetworkFault, TcpProxy>();

/** The server's address: from the subject's URL, else the PG* variables, else the default URL's. */
function serverOf(subject: SubjectConfig): { url: URL; host: string; port: number } {
  const env = process.env;
  const url = new URL(
    subject.pgUrl ??
      (env.PGHOST !== undefined || env.PGPORT !== undefined
        ? `postgresql://${env.PGUSER ?? 'postgres'}@${env.PGHOST ?? '127.0.0.1'}:${env.PGPORT ?? '5432'}/${env.PGDATABASE ?? env.PGUSER ?? 'postgres'}`
        : DEFAULT_PG_URL),
  );
  return { url, host: url.hostname, port: Number(url.port || 5432) };
}

/**
 * Network faults between the target's workers and the database server: their connections go through a TCP proxy
 * (the other workers connect directly), which then holds every byte (blackhole: a partition of those workers while
 * the others go on), resets every connection, or delays every chunk.
 */
export const network: Injector<NetworkFault> = {
  async setup(fault, context) {
    const { host, port } = serverOf(context.subject);
    const proxy = await TcpProxy.start(host, port);
    proxies.set(fault, proxy);
    return () => proxy.close();
  },

  workerEnv(fault, worker, subject) {
    const proxy = proxies.get(fault);
    if (!proxy || (worker.group !== fault.target && worker.id !== fault.target)) return undefined;
    const { url } = serverOf(subject);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    return { [SUBJECT_VARIABLE]: JSON.stringify({ ...subject, pgUrl: url.toString() }) };
  },

  inject(fault, rt) {
    const proxy = proxies.get(fault);
    if (!proxy) throw new Error('network: the proxy was not set up');
    const affected =
      fault.mode === 'reset'
        ? proxy.reset()
        : proxy.set(fault.mode === 'blackhole' ? { kind: 'blackhole' } : { kind: 'latency', ms: fault.latencyMs });
    rt.injected(`proxy of ${fault.target} ${describe(fault)}: ${affected} connection(s) open`, affected);
  },

  heal(fault, rt) {
    const proxy = proxies.get(fault);
    if (!proxy || fault.mode === 'reset') return;
    const before = proxy.connections;
    proxy.set({ kind: 'pass' });
    rt.healed(`proxy of ${fault.target} passes bytes again (${before} connection(s))`);
  },

  /**
   * A reset fired if it reset a connection; a black hole or a delay, set for open and future connections alike, if
   * a worker of the target committed through the proxy afterwards.
   */
  fired(fault, history, index) {
    const injected = history
      .select('fault.injected', { where: { fault: 'network', target: fault.target } })
      .find((e) => e.detail.includes(describe(fault)));
    if (!injected) return { fired: false, detail: `fault #${index}: never injected` };
    if (fault.mode === 'reset')
      return injected.affected > 0
        ? { fired: true, detail: injected.detail }
        : { fired: false, detail: `${injected.detail}: nothing to reset` };
    const through = history.select('checkpoint.committed', { worker: fault.target }).filter((c) => c.t > injected.t);
    return through.length > 0 || injected.affected > 0
      ? { fired: true, detail: `${injected.detail}; ${through.length} commit(s) through it afterwards` }
      : { fired: false, detail: `${injected.detail}, and no commit of ${fault.target} went through it` };
  },
};
