import type { CheckSpec } from '../schema.js';
import type { Check } from './check.js';

type Spec<K extends CheckSpec['check']> = Extract<CheckSpec, { check: K }>;

/** The taker acquired with a higher epoch than the holder, and every later renew/complete by the holder was refused. */
export const takeoverFenced: Check<Spec<'takeover-fenced'>> = (spec, { history }) => {
  const held = history.select('lease.acquired', { worker: spec.holder })[0];
  const taken = history.select('lease.acquired', { worker: spec.taker })[0];
  if (!held || !taken) return { valid: false, measured: `holder acquired: ${Boolean(held)}, taker acquired: ${Boolean(taken)}` };
  const after = history.entries.filter((e) => e.t > taken.t && history.isFrom(e, spec.holder));
  const refused = after.filter((e) => e.kind === 'lease.lost');
  const accepted = after.filter((e) => e.kind === 'lease.renewed' || e.kind === 'lease.completed');
  return {
    valid: taken.epoch > held.epoch && accepted.length === 0 && refused.length > 0,
    measured: `epoch ${held.epoch} → ${taken.epoch}; stale holder refused ${refused.length}×, accepted ${accepted.length}×`,
  };
};

/** Work items in a status, counted in the final database. */
export const workItems: Check<Spec<'work-items'>> = (spec, { db }) => {
  const n = db.sqlite.prepare('SELECT COUNT(*) FROM work_items WHERE status = ?').pluck().get(spec.status) as number;
  return { valid: n === spec.equals, measured: `${n} ${spec.status}` };
};

/**
 * No item was ever held by two live holders at once. Per item, every epoch is granted once, and hold intervals are
 * disjoint. Intervals are taken from inside the true hold when workers report their own times (`at`: after the
 * acquisition returned, before the release was called), so an overlap found is a real one.
 */
export const noOverlappingLeases: Check<Spec<'no-overlapping-leases'>> = (_spec, { history }) => {
  const byItem = new Map<string, { epoch: number; start: number; end: number; worker: string }[]>();
  // Worker-reported `at` times (system-wide monotonic clock) when present; otherwise the harness's receipt times.
  const ends = new Map<string, { at: number | undefined; t: number }>();
  for (const e of history.entries) {
    if (e.kind === 'lease.completed' || e.kind === 'lease.released' || e.kind === 'lease.lost') {
      const key = `${e.worker} ${e.itemId} ${e.epoch}`;
      if (!ends.has(key)) ends.set(key, { at: 'at' in e ? e.at : undefined, t: e.t });
    }
  }
  for (const a of history.select('lease.acquired')) {
    const end = ends.get(`${a.worker} ${a.itemId} ${a.epoch}`);
    const list = byItem.get(a.itemId) ?? [];
    list.push(
      a.at !== undefined
        ? { epoch: a.epoch, start: a.at, end: end?.at ?? Infinity, worker: a.worker }
        : { epoch: a.epoch, start: a.t, end: end?.t ?? a.expiresAt, worker: a.worker },
    );
    byItem.set(a.itemId, list);
  }
  const violations: string[] = [];
  for (const [item, leases] of byItem) {
    leases.sort((x, y) => x.epoch - y.epoch);
    for (let i = 1; i < leases.length; i++) {
      const prev = leases[i - 1]!;
      const cur = leases[i]!;
      if (cur.epoch === prev.epoch) violations.push(`${item}: epoch ${cur.epoch} granted twice`);
      else if (cur.start < prev.end) violations.push(`${item}: epoch ${cur.epoch} acquired while epoch ${prev.epoch} was still held`);
    }
  }
  return {
    valid: byItem.size > 0 && violations.length === 0,
    data: { items: byItem.size, acquisitions: [...byItem.values()].reduce((n, l) => n + l.length, 0), lost: history.select('lease.lost').length, overlaps: violations.length },
    measured: `${byItem.size} items, ${[...byItem.values()].reduce((n, l) => n + l.length, 0)} acquisitions, ${violations.length} overlap(s)`,
    ...(violations.length > 0 ? { details: violations.slice(0, 5).join('; ') } : {}),
  };
};

/** Every worker of a group acquired at least one lease. */
export const everyWorkerAcquired: Check<Spec<'every-worker-acquired'>> = (spec, { history }) => {
  const workers = history.select('worker.started', { worker: spec.worker }).map((e) => e.worker);
  const acquiring = new Set(history.select('lease.acquired', { worker: spec.worker }).map((e) => e.worker));
  const starved = workers.filter((w) => !acquiring.has(w));
  return {
    valid: workers.length > 0 && starved.length === 0,
    measured: `${acquiring.size}/${workers.length} workers acquired`,
    ...(starved.length > 0 ? { details: `starved: ${starved.slice(0, 10).join(', ')}` } : {}),
  };
};
