import type { CheckSpec } from '../schema.js';
import { nearestRank } from '../../src/percentile.js';
import { compare, type Check } from './check.js';

type Spec<K extends CheckSpec['check']> = Extract<CheckSpec, { check: K }>;

/** How many matching events the history holds. */
export const eventCount: Check<Spec<'event-count'>> = (spec, { history }) => {
  const n = history.select(spec.kind, { worker: spec.worker, where: spec.where }).length;
  const { ok, expected } = compare(n, spec);
  return { valid: ok, measured: `${n} ${spec.kind}`, ...(ok ? {} : { details: `expected ${expected}` }) };
};

/** A numeric field of matching events, summed / maxed / …, against bounds. */
export const eventField: Check<Spec<'event-field'>> = (spec, { history }) => {
  const events: readonly Record<string, unknown>[] = history.select(spec.kind, {
    worker: spec.worker,
    where: spec.where,
  });
  const values = events.map((e) => e[spec.field]).filter((v): v is number => typeof v === 'number');
  if (values.length === 0) return { valid: 'unknown', measured: `no ${spec.kind} event with a numeric ${spec.field}` };
  const value =
    spec.aggregate === 'sum'
      ? values.reduce((a, b) => a + b, 0)
      : spec.aggregate === 'max'
        ? Math.max(...values)
        : spec.aggregate === 'min'
          ? Math.min(...values)
          : values.at(-1)!;
  const { ok, expected } = compare(value, spec);
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(3);
  return {
    valid: ok,
    measured: `${shown}${spec.unit}`,
    data: { value },
    ...(ok ? {} : { details: `expected ${expected}` }),
  };
};

/** One field of an event is below another field of the same event (e.g. hit latency < generation latency). */
export const fieldLessThan: Check<Spec<'field-less-than'>> = (spec, { history }) => {
  const events: readonly Record<string, unknown>[] = history.select(spec.kind, { where: spec.where });
  const pairs = events
    .map((e) => [e[spec.field], e[spec.lessThanField]] as const)
    .filter((p): p is readonly [number, number] => typeof p[0] === 'number' && typeof p[1] === 'number');
  if (pairs.length === 0)
    return { valid: 'unknown', measured: `no ${spec.kind} event with both ${spec.field} and ${spec.lessThanField}` };
  const worst = pairs.reduce((w, p) => (p[0] / p[1] > w[0] / w[1] ? p : w));
  return {
    valid: pairs.every(([a, b]) => a < b),
    measured: `${spec.field} ${worst[0].toFixed(4)} ms vs ${spec.lessThanField} ${worst[1].toFixed(4)} ms (${(worst[1] / worst[0]).toFixed(0)}× faster)`,
  };
};

/** A latency percentile (nearest-rank) of a field across matching events. */
export const latency: Check<Spec<'latency'>> = (spec, { history }) => {
  const samples = (history.select(spec.kind) as readonly Record<string, unknown>[])
    .map((e) => e[spec.field])
    .filter((v): v is number => typeof v === 'number')
    .sort((a, b) => a - b);
  const p = nearestRank(samples, spec.percentile / 100);
  if (p === null) return { valid: 'unknown', measured: 'no samples' };
  return { valid: p <= spec.maxMs, measured: `P${spec.percentile} ${p.toFixed(3)} ms over ${samples.length} samples` };
};

/** No worker reported an error, none printed "database is locked", and every worker not killed on purpose exited 0. */
export const noWorkerErrors: Check<Spec<'no-worker-errors'>> = (spec, { history }) => {
  const errors = history.select('worker.error');
  const locked = [...errors.map((e) => e.message), ...history.select('worker.stderr').map((e) => e.text)].filter((m) =>
    /database is locked/i.test(m),
  );
  const badExits = history
    .select('worker.exited')
    .filter((e) => e.exitCode !== 0 && !(spec.allowKilled && e.signal === 'SIGKILL'));
  const problems = [
    ...errors.map((e) => `${e.worker}: ${e.message.split('\n')[0]}`),
    ...badExits.map((e) => `${e.worker} exited with ${e.exitCode ?? e.signal}`),
  ];
  return {
    valid: problems.length === 0 && locked.length === 0,
    data: { errors: errors.length, locked: locked.length, badExits: badExits.length },
    measured: `${errors.length} worker error(s), ${locked.length} "database is locked", ${badExits.length} bad exit(s)`,
    ...(problems.length > 0 ? { details: problems.slice(0, 5).join('; ') } : {}),
  };
};
