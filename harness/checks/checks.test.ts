import { describe, expect, it } from 'vitest';
import { useTempDb } from '../../test/helpers/temp-db.js';
import { History } from '../history.js';
import type { AnyEvent } from '../workers/protocol.js';
import { runCheck } from './index.js';
import { compare, worst } from './check.js';

describe('checks', () => {
  const tempDb = useTempDb();

  function context(events: [string, AnyEvent][]) {
    const { db, dir } = tempDb();
    const history = new History();
    for (const [worker, e] of events) history.append(worker, e);
    return { history, db, runDir: dir };
  }

  it('takes the worst verdict', () => {
    expect(worst([true, true])).toBe(true);
    expect(worst([true, 'unknown'])).toBe('unknown');
    expect(worst(['unknown', false, true])).toBe(false);
    expect(compare(5, { min: 1, max: 4 })).toEqual({ ok: false, expected: '≥ 1 and ≤ 4' });
  });

  it('finds an acknowledged checkpoint missing from the database', () => {
    const ctx = context([['w', { kind: 'checkpoint.committed', taskId: 't', seq: 1, id: 1, latencyMs: 0.1 }]]);
    const outcome = runCheck({ check: 'acknowledged-checkpoints-present' }, ctx);
    expect(outcome).toMatchObject({ valid: false, measured: '0/1 acknowledged present', details: 'missing: t#1' });
  });

  it('finds two live holders of one item', () => {
    const ctx = context([
      ['a', { kind: 'lease.acquired', itemId: 'i', epoch: 1, expiresAt: 1e15 }],
      ['b', { kind: 'lease.acquired', itemId: 'i', epoch: 2, expiresAt: 1e15 }],
      ['a', { kind: 'lease.completed', itemId: 'i', epoch: 1 }],
    ]);
    const outcome = runCheck({ check: 'no-overlapping-leases' }, ctx);
    expect(outcome.valid).toBe(false);
    expect(outcome.details).toMatch(/i: epoch 2 acquired while epoch 1 was still held/);
  });

  it('accepts a handover after completion', () => {
    const ctx = context([
      ['a', { kind: 'lease.acquired', itemId: 'i', epoch: 1, expiresAt: 1e15 }],
      ['a', { kind: 'lease.completed', itemId: 'i', epoch: 1 }],
      ['b', { kind: 'lease.acquired', itemId: 'i', epoch: 2, expiresAt: 1e15 }],
    ]);
    expect(runCheck({ check: 'no-overlapping-leases' }, ctx).valid).toBe(true);
  });

  it('reports a check that throws as unknown', () => {
    const ctx = context([]);
    ctx.db.close();
    expect(runCheck({ check: 'integrity-ok' }, ctx)).toMatchObject({ valid: 'unknown', measured: 'check threw' });
  });

  it('sees "database is locked" in worker errors', () => {
    const ctx = context([
      ['w', { kind: 'worker.error', message: 'SqliteError: database is locked' }],
      ['w', { kind: 'worker.exited', exitCode: 1, signal: null, peakRssKb: null }],
    ]);
    expect(runCheck({ check: 'no-worker-errors', allowKilled: true }, ctx)).toMatchObject({ valid: false, measured: '1 worker error(s), 1 "database is locked", 1 bad exit(s)' });
  });

  it('bounds an event field', () => {
    const ctx = context([['s', { kind: 'sweep.finished', expiredFound: 3, recovered: 3, errors: 0, durationMs: 25 }]]);
    expect(runCheck({ check: 'event-field', kind: 'sweep.finished', field: 'durationMs', aggregate: 'sum', max: 20, unit: ' ms' }, ctx)).toMatchObject({ valid: false, measured: '25 ms', details: 'expected ≤ 20' });
    expect(runCheck({ check: 'event-field', kind: 'sweep.finished', field: 'nope', aggregate: 'sum', unit: '' }, ctx).valid).toBe('unknown');
  });
});
