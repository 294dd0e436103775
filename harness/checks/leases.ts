import type { CheckSpec } from '../schema.js';
import type { FinalState } from '../subject.js';
import { finalState, type Check, type CheckContext } from './check.js';

type Spec<K extends CheckSpec['check']> = Extract<CheckSpec, { check: K }>;

/**
 * The taker acquired with a higher epoch than the holder, and every later write by the holder (renew, complete,
 * checkpoint, tool call) was refused.
 */
export const takeoverFenced: Check<Spec<'takeover-fenced'>> = (spec, { history }) => {
  const held = history.select('lease.acquired', { worker: spec.holder })[0];
  const taken = history.select('lease.acquired', { worker: spec.taker })[0];
  if (!held || !taken)
    return { valid: false, measured: `holder acquired: ${Boolean(held)}, taker acquired: ${Boolean(taken)}` };
  const after = history.entries.filter((e) => e.t > taken.t && history.isFrom(e, spec.holder));
  const refused = after.filter((e) => e.kind === 'lease.lost');
  const accepted = after.filter(
    (e) =>
      e.kind === 'lease.renewed' ||
      e.kind === 'lease.completed' ||
      e.kind === 'checkpoint.committed' ||
      (e.kind === 'command.done' && e.outcome === 'ok'),
  );
  const acceptedOps = [...new Set(accepted.map((e) => (e.kind === 'command.done' ? e.cmd : e.kind)))];
  return {
    valid: taken.epoch > held.epoch && accepted.length === 0 && refused.length > 0,
    measured: `epoch ${held.epoch} → ${taken.epoch}; stale holder refused ${refused.length}×, accepted ${accepted.length}×`,
    ...(accepted.length > 0 ? { details: `accepted from the stale holder: ${acceptedOps.join(', ')}` } : {}),
  };
};

/**
 * No write was accepted under a stale epoch. lease_log holds every acquisition and every write accepted under a
 * lease in commit order: replayed per item, each write must carry the newest epoch granted so far and its holder;
 * and every checkpoint row that records a lease must have its logged write (none slipped past the fence). A
 * 'takeover' (an acquisition of an item whose holder was provably dead, before its lease expired) is a grant like
 * 'acquire': its higher epoch fences the dead holder out.
 */
export const noStaleEpochWrites: Check<Spec<'no-stale-epoch-writes'>> = (_spec, context) => {
  const { log, fencedCheckpoints } = leasesOf(context);
  const newest = new Map<string, { epoch: number; holder: string; ended?: string }>();
  const logged = new Map<string, number>();
  const granted = new Set<string>();
  const violations: string[] = [];
  let writes = 0;
  for (const e of log) {
    const current = newest.get(e.item_id);
    if (e.op === 'acquire' || e.op === 'takeover') {
      if (current && e.epoch <= current.epoch)
        violations.push(`#${e.seq}: ${e.item_id} granted epoch ${e.epoch} after epoch ${current.epoch}`);
      newest.set(e.item_id, { epoch: e.epoch, holder: e.holder });
      granted.add(`${e.item_id} ${e.epoch}`);
      continue;
    }
    if (e.op === 'reclaim') {
      // The sweep ended the lease: no write of that epoch may follow.
      if (current?.epoch === e.epoch) current.ended = 'reclaimed by the sweep';
      continue;
    }
    writes++;
    if (current?.ended !== undefined && current.epoch === e.epoch) {
      violations.push(
        `#${e.seq}: ${e.op} on ${e.item_id} accepted from "${e.holder}" at epoch ${e.epoch} after the lease was ${current.ended}`,
      );
    }
    if (current && (e.op === 'complete' || e.op === 'release'))
      current.ended = e.op === 'complete' ? 'completed' : 'released';
    if (e.op === 'checkpoint') logged.set(`${e.item_id} ${e.epoch}`, (logged.get(`${e.item_id} ${e.epoch}`) ?? 0) + 1);
    if (!current || current.epoch !== e.epoch || current.holder !== e.holder) {
      violations.push(
        `#${e.seq}: ${e.op} on ${e.item_id} accepted from "${e.holder}" at epoch ${e.epoch} while the newest was ${current ? `epoch ${current.epoch} ("${current.holder}")` : 'no grant'}`,
      );
    }
  }
  for (const r of fencedCheckpoints) {
    // An epoch whose log the sweep has trimmed (the item long completed) cannot be judged here.
    if (!granted.has(`${r.item} ${r.epoch}`)) continue;
    const n = logged.get(`${r.item} ${r.epoch}`) ?? 0;
    if (r.n > n)
      violations.push(`${r.n} checkpoint row(s) of ${r.item} at epoch ${r.epoch}, but the fence logged ${n}`);
  }
  if (writes === 0 && violations.length === 0) return { valid: 'unknown', measured: 'no write was made under a lease' };
  return {
    valid: violations.length === 0,
    data: { writes, grants: log.length - writes, violations: violations.length },
    measured: `${writes} fenced writes over ${newest.size} item(s), ${violations.length} under a stale epoch`,
    ...(violations.length > 0 ? { details: violations.slice(0, 5).join('; ') } : {}),
  };
};

/** Work items in a status, counted in the final database. */
export const workItems: Check<Spec<'work-items'>> = (spec, context) => {
  const n = leasesOf(context).itemsByStatus[spec.status] ?? 0;
  return { valid: n === spec.equals, measured: `${n} ${spec.status}` };
};

/** The lease part of the subject's final state; a subject without leases makes the check throw (unknown). */
function leasesOf(context: CheckContext): NonNullable<FinalState['leases']> {
  const leases = finalState(context).leases;
  if (!leases) throw new Error('the subject has no leases');
  return leases;
}

/**
 * No item was ever held by two live holders at once. Per item, every epoch is granted once, and hold intervals are
 * disjoint. Intervals are taken from inside the true hold when workers report their own times (`at`: after the
 * acquisition returned, before the release was called), so an overlap found is a real one.
 */
export const noOverlappingLeases: Check<Spec<'no-overlapping-leases'>> = (_spec, { history }) => {
  const byItem = new Map<string, { epoch: number; start: number; end: number; worker: string }[]>();
  // Worker-reported `at` times (system-wide monotonic clock) when present; otherwise the harness's receipt times.
  const ends = new Map<string, { at: number | undefined; t: number; lost: boolean }>();
  for (const e of history.entries) {
    if (e.kind === 'lease.completed' || e.kind === 'lease.released' || e.kind === 'lease.lost') {
      const key = `${e.worker} ${e.itemId} ${e.epoch}`;
      // A lost lease was gone before its holder heard of it (expired, taken over): its end is unknown, so no overlap
      // with it can be proved; it counts as ending where it began.
      if (!ends.has(key)) ends.set(key, { at: 'at' in e ? e.at : undefined, t: e.t, lost: e.kind === 'lease.lost' });
    }
  }
  for (const a of history.select('lease.acquired')) {
    const end = ends.get(`${a.worker} ${a.itemId} ${a.epoch}`);
    const list = byItem.get(a.itemId) ?? [];
    list.push(
      a.at !== undefined
        ? { epoch: a.epoch, start: a.at, end: end?.lost ? a.at : (end?.at ?? Infinity), worker: a.worker }
        : { epoch: a.epoch, start: a.t, end: end?.lost ? a.t : (end?.t ?? a.expiresAt), worker: a.worker },
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
      else if (cur.start < prev.end)
        violations.push(`${item}: epoch ${cur.epoch} acquired while epoch ${prev.epoch} was still held`);
    }
  }
  return {
    valid: byItem.size > 0 && violations.length === 0,
    data: {
      items: byItem.size,
      acquisitions: [...byItem.values()].reduce((n, l) => n + l.length, 0),
      lost: history.select('lease.lost').length,
      overlaps: violations.length,
    },
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
