import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDb } from '../../test/helpers/temp-db.js';
import { History } from '../history.js';
import type { AnyEvent } from '../workers/protocol.js';
import { readSqliteState } from '../agentos/sqlite-store.js';
import { runCheck } from './index.js';
import { compare, worst } from './check.js';

describe('checks', () => {
  const tempDb = useTempDb();

  function context(events: [string, AnyEvent][]) {
    const { db, dir } = tempDb();
    const history = new History();
    for (const [worker, e] of events) history.append(worker, e);
    // Read when a check asks, so each check sees the rows the test has written by then.
    return {
      history,
      db,
      sqliteFile: db,
      runDir: dir,
      get final() {
        return readSqliteState(db);
      },
    };
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
    expect(runCheck({ check: 'no-worker-errors', allowKilled: true }, ctx)).toMatchObject({
      valid: false,
      measured: '1 worker error(s), 1 "database is locked", 1 bad exit(s)',
    });
  });

  it('bounds an event field', () => {
    const ctx = context([['s', { kind: 'sweep.finished', expiredFound: 3, recovered: 3, errors: 0, durationMs: 25 }]]);
    expect(
      runCheck(
        { check: 'event-field', kind: 'sweep.finished', field: 'durationMs', aggregate: 'sum', max: 20, unit: ' ms' },
        ctx,
      ),
    ).toMatchObject({ valid: false, measured: '25 ms', details: 'expected ≤ 20' });
    expect(
      runCheck({ check: 'event-field', kind: 'sweep.finished', field: 'nope', aggregate: 'sum', unit: '' }, ctx).valid,
    ).toBe('unknown');
  });

  it('finds a write accepted under a stale epoch in the lease log, and a fenced row the log never saw', () => {
    const ctx = context([]);
    const log = ctx.db.sqlite.prepare('INSERT INTO lease_log (item_id, epoch, holder, op, at) VALUES (?, ?, ?, ?, 0)');
    log.run('job', 1, 'a', 'acquire');
    log.run('job', 1, 'a', 'checkpoint');
    log.run('job', 2, 'b', 'acquire');
    expect(runCheck({ check: 'no-stale-epoch-writes' }, ctx)).toMatchObject({
      valid: true,
      measured: '1 fenced writes over 1 item(s), 0 under a stale epoch',
    });
    log.run('job', 1, 'a', 'tool-start');
    const stale = runCheck({ check: 'no-stale-epoch-writes' }, ctx);
    expect(stale.valid).toBe(false);
    expect(stale.details).toMatch(
      /#4: tool-start on job accepted from "a" at epoch 1 while the newest was epoch 2 \("b"\)/,
    );

    const unlogged = context([]);
    unlogged.db.sqlite
      .prepare('INSERT INTO lease_log (item_id, epoch, holder, op, at) VALUES (?, 1, ?, ?, 0)')
      .run('job', 'a', 'acquire');
    unlogged.db.sqlite
      .prepare('INSERT INTO lease_log (item_id, epoch, holder, op, at) VALUES (?, 1, ?, ?, 0)')
      .run('job', 'a', 'checkpoint');
    const insert = unlogged.db.sqlite.prepare(
      "INSERT INTO checkpoints (task_id, seq, step, state, created_at, lease_item, lease_epoch) VALUES ('t', ?, 's', '{}', 0, 'job', 1)",
    );
    insert.run(1);
    expect(runCheck({ check: 'no-stale-epoch-writes' }, unlogged).valid).toBe(true);
    insert.run(2);
    expect(runCheck({ check: 'no-stale-epoch-writes' }, unlogged)).toMatchObject({
      valid: false,
      details: '2 checkpoint row(s) of job at epoch 1, but the fence logged 1',
    });
  });

  it('is unknown about fencing when nothing was written under a lease', () => {
    expect(runCheck({ check: 'no-stale-epoch-writes' }, context([])).valid).toBe('unknown');
  });

  it('sees a stale holder’s accepted checkpoint or tool call after a takeover', () => {
    const ctx = context([
      ['holder', { kind: 'lease.acquired', itemId: 'job', epoch: 1, expiresAt: 0 }],
      ['taker', { kind: 'lease.acquired', itemId: 'job', epoch: 2, expiresAt: 0 }],
      ['holder', { kind: 'checkpoint.committed', taskId: 'job-task', seq: 1, id: 1, latencyMs: 0 }],
      ['holder', { kind: 'command.done', cmd: 'tool', outcome: 'ok' }],
      ['holder', { kind: 'lease.lost', itemId: 'job', epoch: 1, operation: 'complete', message: '' }],
    ]);
    expect(runCheck({ check: 'takeover-fenced', holder: 'holder', taker: 'taker' }, ctx)).toMatchObject({
      valid: false,
      details: 'accepted from the stale holder: checkpoint.committed, tool',
    });
  });

  it('sees a task whose stored status is not the expected one, or that was never stored', () => {
    const ctx = context([]);
    ctx.db.sqlite.prepare("INSERT INTO tasks (id, status, created_at, updated_at) VALUES ('t', 'running', 0, 0)").run();
    expect(runCheck({ check: 'task-status', taskId: 't', status: 'succeeded' }, ctx)).toMatchObject({
      valid: false,
      measured: 'task "t" is running',
    });
    expect(runCheck({ check: 'task-status', taskId: 'u', status: 'succeeded' }, ctx)).toMatchObject({
      valid: false,
      measured: 'task "u" is absent',
    });
  });

  it('sees steps committed out of order', () => {
    const ctx = context([]);
    writeFileSync(join(ctx.runDir, 'steps.log'), 'step-2 w\nstep-1 w\n');
    const insert = ctx.db.sqlite.prepare(
      "INSERT INTO checkpoints (task_id, seq, step, state, created_at) VALUES ('t', ?, ?, '{}', 0)",
    );
    insert.run(1, 'step-2');
    insert.run(2, 'step-1');
    expect(runCheck({ check: 'committed-steps-not-rerun', taskId: 't' }, ctx)).toMatchObject({
      valid: false,
      details: 'checkpoint 1 is step-2, expected step-1',
    });
  });

  it('judges checkpoint operations by their tokens: acknowledged present once, failed absent, unknown at most once, nothing unwritten', () => {
    const ctx = context([
      ['w', { kind: 'op.invoke', op: 'checkpoint', n: 1, token: 'w#1', taskId: 't' }],
      ['w', { kind: 'op.ok', op: 'checkpoint', n: 1, token: 'w#1', seq: 1, id: 1 }],
      ['w', { kind: 'op.invoke', op: 'checkpoint', n: 2, token: 'w#2', taskId: 't' }],
      ['w', { kind: 'op.fail', op: 'checkpoint', n: 2, token: 'w#2', error: 'DiskFullError' }],
      ['w', { kind: 'op.invoke', op: 'checkpoint', n: 3, token: 'w#3', taskId: 't' }],
    ]);
    const insert = ctx.db.sqlite.prepare(
      "INSERT INTO checkpoints (task_id, seq, step, state, created_at) VALUES ('t', ?, 's', ?, 0)",
    );
    insert.run(1, JSON.stringify({ token: 'w#1' }));
    insert.run(2, JSON.stringify({ token: 'w#3' }));
    expect(runCheck({ check: 'operations-durable' }, ctx)).toMatchObject({
      valid: true,
      measured: '3 checkpoint operations (1 ok, 1 failed, 1 outcome unknown), 0 violation(s)',
    });
    insert.run(3, JSON.stringify({ token: 'w#2' }));
    insert.run(4, JSON.stringify({ token: 'ghost#1' }));
    const bad = runCheck({ check: 'operations-durable' }, ctx);
    expect(bad.valid).toBe(false);
    expect(bad.details).toBe('w#2 failed, yet stored as seq 3; ghost#1 is stored but no operation wrote it');
    ctx.db.sqlite.prepare('DELETE FROM checkpoints WHERE seq = 1').run();
    expect(runCheck({ check: 'operations-durable' }, ctx).details).toMatch(
      /^w#1 acknowledged as seq 1, stored nowhere/,
    );
  });

  it('finds a tool call that ran twice, and one that returned ok without running', () => {
    const ctx = context([
      ['a', { kind: 'op.invoke', op: 'tool', n: 1, token: 'cmd-0' }],
      ['a', { kind: 'op.ok', op: 'tool', n: 1, token: 'cmd-0' }],
      ['a', { kind: 'op.invoke', op: 'tool', n: 2, token: 'cmd-1' }],
    ]);
    mkdirSync(join(ctx.runDir, 'effects'));
    writeFileSync(join(ctx.runDir, 'effects', 'cmd-0.log'), 'ran\n');
    expect(runCheck({ check: 'effects-at-most-once', dir: 'effects' }, ctx)).toMatchObject({
      valid: true,
      measured: '2 commands, 1 executions, 0 violation(s)',
    });
    writeFileSync(join(ctx.runDir, 'effects', 'cmd-1.log'), 'ran\nran\n');
    rmSync(join(ctx.runDir, 'effects', 'cmd-0.log'));
    expect(runCheck({ check: 'effects-at-most-once', dir: 'effects' }, ctx)).toMatchObject({
      valid: false,
      details: 'cmd-0 returned ok but never ran; cmd-1 ran 2 times',
    });
  });

  it('finds a backup missing a checkpoint acknowledged before it began', async () => {
    const ctx = context([['w', { kind: 'checkpoint.committed', taskId: 't', seq: 1, id: 1, latencyMs: 0 }]]);
    const insert = ctx.db.sqlite.prepare(
      "INSERT INTO checkpoints (task_id, seq, step, state, created_at) VALUES ('t', ?, 's', '{}', 0)",
    );
    await ctx.db.sqlite.backup(join(ctx.runDir, 'backup.db'));
    ctx.history.append('harness', {
      kind: 'fault.injected',
      fault: 'backup',
      target: 'database',
      detail: 'started',
      affected: 1,
    });
    insert.run(1);
    expect(runCheck({ check: 'backup-consistent' }, ctx)).toMatchObject({
      valid: false,
      details: '1 checkpoint(s) acknowledged before the backup began are not in it, e.g. t#1',
    });
    await ctx.db.sqlite.backup(join(ctx.runDir, 'backup.db'));
    expect(runCheck({ check: 'backup-consistent' }, ctx)).toMatchObject({ valid: true });
  });

  it('counts a step run by a frozen runner after the takeover as fenced off only if its lease loss was reported and it committed nothing', () => {
    const events: [string, AnyEvent][] = [
      ['resumer', { kind: 'step.finished', taskId: 't', step: 'step-1', seq: 1, id: 1 }],
    ];
    const ctx = context(events);
    writeFileSync(join(ctx.runDir, 'steps.log'), 'step-1 resumer\nstep-1 runner\n');
    ctx.db.sqlite
      .prepare("INSERT INTO checkpoints (task_id, seq, step, state, created_at) VALUES ('t', 1, 'step-1', '{}', 0)")
      .run();
    expect(runCheck({ check: 'committed-steps-not-rerun', taskId: 't' }, ctx)).toMatchObject({
      valid: false,
      details: 'step-1 ran again in runner after resumer committed it',
    });
    ctx.history.append('runner', {
      kind: 'lease.lost',
      itemId: 'task:t',
      epoch: 1,
      operation: 'checkpoint',
      message: '',
    });
    expect(runCheck({ check: 'committed-steps-not-rerun', taskId: 't' }, ctx)).toMatchObject({
      valid: true,
      measured:
        '1 checkpoints of 1 steps, 2 executions, 0 re-run of an unacknowledged step, 1 by a stale runner whose writes were refused, 0 violation(s)',
    });
  });

  it('finds a write accepted after its lease was completed or reclaimed, and does not judge a trimmed log', () => {
    const ctx = context([]);
    const log = ctx.db.sqlite.prepare('INSERT INTO lease_log (item_id, epoch, holder, op, at) VALUES (?, ?, ?, ?, 0)');
    log.run('i', 1, 'a', 'acquire');
    log.run('i', 1, 'a', 'complete');
    log.run('i', 1, 'a', 'checkpoint');
    expect(runCheck({ check: 'no-stale-epoch-writes' }, ctx).details).toMatch(
      /#3: checkpoint on i accepted from "a" at epoch 1 after the lease was completed/,
    );
    const reclaimed = context([]);
    const log2 = reclaimed.db.sqlite.prepare(
      'INSERT INTO lease_log (item_id, epoch, holder, op, at) VALUES (?, ?, ?, ?, 0)',
    );
    log2.run('j', 1, 'a', 'acquire');
    log2.run('j', 1, 'a', 'reclaim');
    log2.run('j', 1, 'a', 'tool-start');
    expect(runCheck({ check: 'no-stale-epoch-writes' }, reclaimed).details).toMatch(
      /after the lease was reclaimed by the sweep/,
    );
    // A checkpoint row whose epoch the log no longer holds (trimmed after completion) is not a violation.
    const trimmed = context([]);
    trimmed.db.sqlite
      .prepare(
        "INSERT INTO checkpoints (task_id, seq, step, state, created_at, lease_item, lease_epoch) VALUES ('t', 1, 's', '{}', 0, 'old', 1)",
      )
      .run();
    trimmed.db.sqlite
      .prepare(
        "INSERT INTO lease_log (item_id, epoch, holder, op, at) VALUES ('k', 1, 'a', 'acquire', 0), ('k', 1, 'a', 'renew', 0)",
      )
      .run();
    expect(runCheck({ check: 'no-stale-epoch-writes' }, trimmed).valid).toBe(true);
  });

  it('proves no overlap with a lease its holder lost (its end is unknown)', () => {
    const ctx = context([
      ['a', { kind: 'lease.acquired', itemId: 'i', epoch: 1, expiresAt: 1e15, at: 10 }],
      ['b', { kind: 'lease.acquired', itemId: 'i', epoch: 2, expiresAt: 1e15, at: 2000 }],
      ['b', { kind: 'lease.released', itemId: 'i', epoch: 2, at: 2100 }],
      ['a', { kind: 'lease.lost', itemId: 'i', epoch: 1, operation: 'renew', message: '' }],
    ]);
    expect(runCheck({ check: 'no-overlapping-leases' }, ctx).valid).toBe(true);
  });
});
