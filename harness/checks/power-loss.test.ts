import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../../test/helpers/temp-db.js';
import { CheckpointManager, openDatabase } from '../../src/index.js';
import { History } from '../history.js';
import { saveSurvivors, survivorsDir } from '../powerloss/survivors.js';
import { runCheck } from './index.js';

describe('power-loss-tail', () => {
  const tempDir = useTempDir();

  /**
   * A run folder whose first power loss left `survivingIds` of five acknowledged checkpoints (ids 1..5, task t),
   * and a history in which worker w acknowledged all five, 100 ms apart, and died in that loss.
   */
  async function runAfterLoss(survivingIds: number[]) {
    const runDir = tempDir();
    const source = tempDir();
    const db = openDatabase(join(source, 'agentos.db'));
    const cm = new CheckpointManager(db);
    for (let i = 1; i <= 5; i++) await cm.commit(cm.begin('t', `step-${i}`, { i }));
    db.sqlite.prepare(`DELETE FROM checkpoints WHERE id NOT IN (${survivingIds.join(',') || 0})`).run();
    db.close();
    const history = new History();
    history.registerWorker('w', 'writer');
    history.append('w', { kind: 'worker.started', pid: 4242, group: 'writer' });
    const acks = [1, 2, 3, 4, 5].map((id) =>
      history.append('w', { kind: 'checkpoint.committed', taskId: 't', seq: id, id, latencyMs: 0.1 }),
    );
    acks.forEach((a, i) => (a.t = 1_000 + i * 100));
    history.append('harness', {
      kind: 'fault.injected',
      fault: 'power-loss',
      target: 'writer',
      detail: '',
      affected: 4096,
    });
    const drop = {
      bytesDropped: 4096,
      filesDropped: 0,
      filesReverted: 1,
      filesRestored: 0,
      dirsReverted: 0,
      openHandles: 0,
      torn: null,
      files: [],
    };
    saveSurvivors(runDir, join(source, 'agentos.db'), {
      index: 1,
      killedAtMs: 1_500,
      killed: [{ id: 'w', pid: 4242 }],
      database: 'agentos.db',
      drop,
    });
    const checkDb = openDatabase(join(tempDir(), 'unused.db'));
    return { history, db: checkDb, runDir };
  }

  it('accepts a lost tail and measures it: how many, and how long before the loss the oldest was acknowledged', async () => {
    const ctx = await runAfterLoss([1, 2, 3]);
    const outcome = runCheck({ check: 'power-loss-tail' }, ctx);
    ctx.db.close();
    expect(outcome.valid).toBe(true);
    expect(outcome.data).toMatchObject({
      losses: 1,
      acknowledged: 5,
      lost: 2,
      lostMax: 2,
      oldestLostAgeMs: 200,
      bytesDropped: 4096,
    });
    expect(outcome.measured).toContain(
      '2 lost (a tail: ids 4–5), the oldest acknowledged 200 ms before the power loss',
    );
  });

  it('finds a hole: an acknowledged commit lost while a later one survived', async () => {
    const ctx = await runAfterLoss([1, 2, 4, 5]);
    const outcome = runCheck({ check: 'power-loss-tail' }, ctx);
    ctx.db.close();
    expect(outcome.valid).toBe(false);
    expect(outcome.details).toContain('loss 1: a hole');
  });

  it('refuses any loss beyond maxLost (durability full: none)', async () => {
    const ctx = await runAfterLoss([1, 2, 3, 4]);
    const outcome = runCheck({ check: 'power-loss-tail', maxLost: 0 }, ctx);
    ctx.db.close();
    expect(outcome).toMatchObject({
      valid: false,
      details: 'loss 1: 1 acknowledged commit(s) lost, at most 0 allowed',
    });
  });

  it('fails a run with no recorded power loss rather than passing it', async () => {
    const ctx = await runAfterLoss([1]);
    const empty = { ...ctx, runDir: tempDir() };
    expect(runCheck({ check: 'power-loss-tail' }, empty)).toMatchObject({
      valid: false,
      measured: 'no power loss recorded (no power-loss-<n> folder in the run folder)',
    });
    ctx.db.close();
  });

  it('reports surviving files that are not a database as damaged', async () => {
    const ctx = await runAfterLoss([1, 2, 3, 4, 5]);
    writeFileSync(join(survivorsDir(ctx.runDir, 1), 'agentos.db'), 'not a database at all, just text');
    const outcome = runCheck({ check: 'power-loss-tail' }, ctx);
    ctx.db.close();
    expect(outcome.valid).toBe(false);
    expect(outcome.details).toMatch(/loss 1: the surviving database is damaged: does not open: file is not a database/);
  });
});
