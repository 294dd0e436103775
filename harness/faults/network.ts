import type { Fault } from '../schema.js';
import { SUBJECT_VARIABLE, type SubjectConfig } from '../subjects/subject.js';
import { DEFAULT_PG_URL } from '../subjects/pg-server.js';
import type { Injector } from './injector.js';
import { TcpProxy } from './tcp-proxy.js';

type NetworkFault = Extract<Fault, { kind: 'network' }>;

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
    const what =
      fault.mode === 'blackhole'
        ? 'holds every byte (partition)'
        : fault.mode === 'reset'
          ? 'reset every connection'
          : `delays every chunk by ${fault.latencyMs} ms`;
    rt.injected(`proxy of ${fault.target} ${what}: ${affected} connection(s)`, affected);
  },

  heal(fault, rt) {
    const proxy = proxies.get(fault);
    if (!proxy || fault.mode === 'reset') return;
    const before = proxy.connections;
    proxy.set({ kind: 'pass' });
    rt.healed(`proxy of ${fault.target} passes bytes again (${before} connection(s))`);
  },

  fired(fault, history, index) {
    const injected = history.select('fault.injected', { where: { fault: 'network', target: fault.target } });
    const hit = injected.filter((e) => e.affected > 0);
    return hit.length > 0
      ? { fired: true, detail: hit.map((e) => e.detail).join('; ') }
      : { fired: false, detail: `fault #${index}: ${injected[0]?.detail ?? 'never injected'}` };
  },
};
