import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDb } from '../test/helpers/temp-db.js';
import { CheckpointManager, InvalidArgumentError, NotFoundError, evidence, openDatabase } from './index.js';

describe('CheckpointManager', () => {
  const tempDb = useTempDb();

  it('numbers checkpoints per task 1, 2, 3 … and returns the last', () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    const seqs = [1, 2, 3].map((i) => cm.commit(cm.begin('task-a', `s${i}`, { i })).seq);
    cm.commit(cm.begin('task-b', 's1', {}));
    expect(seqs).toEqual([1, 2, 3]);
    expect(cm.getLast('task-a')).toMatchObject({ seq: 3, step: 's3', state: { i: 3 }, verified: true });
    expect(cm.getLast('task-b')?.seq).toBe(1);
    expect(cm.getLast('nobody')).toBeNull();
    expect(cm.list('task-a').map((c) => c.step)).toEqual(['s1', 's2', 's3']);
  });

  it('stores evidence, verifies it on commit and again on verify()', () => {
    const { db, dir } = tempDb();
    const cm = new CheckpointManager(db, { baseDir: dir });
    writeFileSync(join(dir, 'artifact.txt'), 'x');
    const good = cm.commit(cm.begin('t', 'write', {}), evidence.pack(evidence.fileExists('artifact.txt')));
    const bad = cm.commit(cm.begin('t', 'claim', {}), evidence.pack(evidence.fileExists('nope.txt')));
    expect(good.verified).toBe(true);
    expect(bad.verified).toBe(false);
    expect(bad.verification?.failures[0]?.reason).toMatch(/nope\.txt/);
    expect(cm.getLast('t', { verifiedOnly: true })?.id).toBe(good.id);
    expect(cm.getLast('t')?.id).toBe(bad.id);
    writeFileSync(join(dir, 'nope.txt'), 'now it exists');
    expect(cm.verify(bad.id).ok).toBe(true);
    expect(cm.getLast('t', { verifiedOnly: true })?.id).toBe(bad.id);
    expect(cm.metrics.snapshot().counters.verificationFailures).toBe(1);
  });

  it('leaves checkpoints unverified until verify() when autoVerify is off', () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db, { autoVerify: false });
    const c = cm.commit(cm.begin('t', 's', {}));
    expect(c.verified).toBe(false);
    expect(cm.getLast('t', { verifiedOnly: true })).toBeNull();
    expect(cm.verify(c.id).ok).toBe(true);
    expect(cm.get(c.id).verified).toBe(true);
  });

  it('rejects non-JSON state before writing anything', () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    for (const state of [{ n: 10n }, cyclic, { f: () => 0 }]) {
      expect(() => cm.begin('t', 's', state)).toThrow(TypeError);
    }
    expect(cm.list('t')).toEqual([]);
  });

  it.each(['', 'a\u0000b', 'x'.repeat(600)])('rejects the malformed task id %j', (id) => {
    const { db } = tempDb();
    expect(() => new CheckpointManager(db).begin(id, 's', {})).toThrow(InvalidArgumentError);
  });

  it('refuses to commit the same pending checkpoint twice', () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    const p = cm.begin('t', 's', {});
    cm.commit(p);
    expect(() => cm.commit(p)).toThrow(/already committed/);
    expect(cm.list('t')).toHaveLength(1);
  });

  it('keeps the newest checkpoints on cleanup and continues the numbering', () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    for (let i = 0; i < 10; i++) cm.commit(cm.begin('t', `s${i}`, { i }));
    expect(cm.cleanup('t', 3)).toBe(7);
    expect(cm.list('t').map((c) => c.seq)).toEqual([8, 9, 10]);
    expect(cm.commit(cm.begin('t', 'next', {})).seq).toBe(11);
    expect(() => cm.cleanup('t', 0)).toThrow(/keepLast must be an integer ≥ 1/);
  });

  it('stores and reads back a 10 MB state intact', () => {
    const { db, dir } = tempDb();
    const cm = new CheckpointManager(db);
    const big = { blob: 'abcdefghij'.repeat(1_000_000), n: 42 };
    const c = cm.commit(cm.begin('big', 's', big));
    db.close();
    const reopened = openDatabase(join(dir, 'agentos.db'));
    const back = new CheckpointManager(reopened).get<typeof big>(c.id);
    reopened.close();
    expect(back.state.blob.length).toBe(10_000_000);
    expect(back.state).toEqual(big);
  });

  it('reports an unknown id', () => {
    const { db } = tempDb();
    expect(() => new CheckpointManager(db).verify(999)).toThrow(NotFoundError);
  });

  it('treats SQL metacharacters in ids as data', () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    const id = "t'); DROP TABLE checkpoints; --";
    cm.commit(cm.begin(id, 's', {}));
    expect(cm.getLast(id)?.taskId).toBe(id);
    expect(db.integrityCheck()).toEqual(['ok']);
  });

  it('writes only a pending checkpoint begin() made: a hand-built one is refused and nothing is written', () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    expect(() => cm.commit({ taskId: 'task-1', step: '', stateJson: '{not json' })).toThrow(/must come from begin\(\)/);
    expect(db.sqlite.prepare('SELECT COUNT(*) FROM checkpoints').pluck().get()).toBe(0);
    // A pending checkpoint from another manager on the same database is fine.
    expect(cm.commit(new CheckpointManager(db).begin('task-1', 's', {})).seq).toBe(1);
  });
});
