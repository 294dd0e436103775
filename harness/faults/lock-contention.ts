import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type LockContentionFault = Extract<Fault, { kind: 'lock-contention' }>;

/** A separate process holds SQLite's write lock for holdMs, `repeat` times. */
export const lockContention: Injector<LockContentionFault> = {
  inject(fault, rt) {
    const helper = rt.spawnHelper('lock-holder', { holdMs: fault.holdMs, repeat: fault.repeat });
    rt.injected(
      `lock holder ${helper.id} (pid ${helper.pid}) takes the write lock for ${fault.holdMs} ms × ${fault.repeat}`,
      1,
    );
  },
  fired(_fault, history) {
    const held = history.select('lock.held');
    const released = history.select('lock.released');
    if (held.length === 0) return { fired: false, detail: 'the lock holder never took the lock' };
    // Contended: some commit was in progress while the lock was held (it started before a release and ended after a take).
    const windows = held.map((h) => ({
      from: h.t,
      to: released.find((r) => r.round === h.round && r.worker === h.worker)?.t ?? Infinity,
    }));
    const waited = history
      .select('checkpoint.committed')
      .filter((c) => windows.some((w) => c.t - c.latencyMs < w.to && c.t > w.from));
    return waited.length > 0
      ? { fired: true, detail: `lock held ${held.length} time(s); ${waited.length} commit(s) waited for it` }
      : { fired: false, detail: `lock held ${held.length} time(s) but no commit was contending for it` };
  },
};
