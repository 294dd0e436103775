import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { InvalidArgumentError, LeaseLostError, NotFoundError, evidence } from '../index.js';
import { CheckpointManager } from './checkpoints.js';
import { LeaseManager } from './leases.js';

describeEachStore('CheckpointManager', (open) => {
  it('numbers checkpoints per task 1, 2, 3 … and returns the last', async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db);
    const seqs: number[] = [];
    for (const i of [1, 2, 3]) seqs.push((await cm.commit(cm.begin('task-a', `s${i}`, { i }))).seq);
    await cm.commit(cm.begin('task-b', 's1', {}));
    expect(seqs).toEqual([1, 2, 3]);
    expect(await cm.getLast('task-a')).toMatchObject({ seq: 3, step: 's3', state: { i: 3 }, verified: true });
    expect((await cm.getLast('task-b'))?.seq).toBe(1);
    expect(await cm.getLast('nobody')).toBeNull();
    expect((await cm.list('task-a')).map((c) => c.step)).toEqual(['s1', 's2', 's3']);
    expect((await cm.list('task-a', { afterSeq: 1, limit: 1 })).map((c) => c.seq)).toEqual([2]);
  });

  it('numbers concurrent commits to one task without gaps or duplicates', async () => {
    const { db, reopen } = await open();
    const writers = [new CheckpointManager(db), new CheckpointManager(await reopen())];
    const committed = await Promise.all(
      Array.from({ length: 20 }, (_, i) => writers[i % 2]!.commit(writers[i % 2]!.begin('t', `s${i}`, { i }))),
    );
    expect(committed.map((c) => c.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('stores evidence, verifies it on commit and again on verify()', async () => {
    const { db, dir } = await open();
    const cm = new CheckpointManager(db, { baseDir: dir });
    writeFileSync(join(dir, 'artifact.txt'), 'x');
    const good = await cm.commit(cm.begin('t', 'write', {}), evidence.pack(evidence.fileExists('artifact.txt')));
    const bad = await cm.commit(cm.begin('t', 'claim', {}), evidence.pack(evidence.fileExists('nope.txt')));
    expect(good.verified).toBe(true);
    expect(bad.verified).toBe(false);
    expect(bad.verification?.failures[0]?.reason).toMatch(/nope\.txt/);
    expect((await cm.getLast('t', { verifiedOnly: true }))?.id).toBe(good.id);
    expect((await cm.getLast('t'))?.id).toBe(bad.id);
    writeFileSync(join(dir, 'nope.txt'), 'now it exists');
    expect((await cm.verify(bad.id)).ok).toBe(true);
    expect((await cm.getLast('t', { verifiedOnly: true }))?.id).toBe(bad.id);
    expect(cm.metrics.snapshot().counters.verificationFailures).toBe(1);
  });

  it('leaves checkpoints unverified until verify() when autoVerify is off', async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db, { autoVerify: false });
    const c = await cm.commit(cm.begin('t', 's', {}));
    expect(c.verified).toBe(false);
    expect(c.verifiedAt).toBeNull();
    expect(await cm.getLast('t', { verifiedOnly: true })).toBeNull();
    expect((await cm.verify(c.id)).ok).toBe(true);
    const stored = await cm.get(c.id);
    expect(stored.verified).toBe(true);
    expect(stored.verifiedAt).not.toBeNull();
  });

  it('rejects non-JSON state before writing anything', async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db);
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    for (const state of [{ n: 10n }, cyclic, { f: () => 0 }]) {
      expect(() => cm.begin('t', 's', state)).toThrow(TypeError);
    }
    expect(await cm.list('t')).toEqual([]);
  });

  it.each(['', 'a\u0000b', 'x'.repeat(600)])('rejects the malformed task id %j', async (id) => {
    const { db } = await open();
    expect(() => new CheckpointManager(db).begin(id, 's', {})).toThrow(InvalidArgumentError);
  });

  it('refuses to commit the same pending checkpoint twice', async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db);
    const p = cm.begin('t', 's', {});
    await cm.commit(p);
    await expect(cm.commit(p)).rejects.toThrow(/already committed/);
    expect(await cm.list('t')).toHaveLength(1);
  });

  it('keeps the newest checkpoints on cleanup and continues the numbering', async () => {
    const { db } = await open();
    const cm = new CheckpointManager(db);
    for (let i = 0; i < 10; i++) await cm.commit(cm.begin('t', `s${i}`, { i }));
    expect(await cm.cleanup('t', 3)).toBe(7);
    expect((await cm.list('t')).map((c) => c.seq)).toEqual([8, 9, 10]);
    expect((await cm.commit(cm.begin('t', 'next', {}))).seq).toBe(11);
    await expect(cm.cleanup('t', 0)).rejects.toThrow(/keepLast must be an integer ≥ 1/);
  });

  it('stores and reads back a 10 MB state intact, through another handle', async () => {
    const { db, reopen } = await open();
    const cm = new CheckpointManager(db);
    const big = { blob: 'abcdefghij'.repeat(1_000_000), n: 42 };
    const c = await cm.commit(cm.begin('big', 's', big));
    const back = await new CheckpointManager(await reopen()).get<typeof big>(c.id);
    expect(back.state.blob.length).toBe(10_000_000);
    expect(back.state).toEqual(big);
  });

  it('reports an unknown id', async () => {
    const { db } = await open();
    await expect(new CheckpointManager(db).verify(999)).rejects.toThrow(NotFoundError);
    await expect(new CheckpointManager(db).get(999)).rejects.toThrow(NotFoundError);
  });

  it('treats SQL metacharacters in ids as data', async () => {
    const { db, integrity } = await open();
    const cm = new CheckpointManager(db);
    const id = "t'); DROP TABLE checkpoints; --";
    await cm.commit(cm.begin(id, 's', {}));
    expect((await cm.getLast(id))?.taskId).toBe(id);
    expect(await integrity()).toEqual(['ok']);
  });

  it('writes only a pending checkpoint begin() made: a hand-built one is refused and nothing is written', async () => {
    const { db, count } = await open();
    const cm = new CheckpointManager(db);
    await expect(cm.commit({ taskId: 'task-1', step: '', stateJson: '{not json' })).rejects.toThrow(
      /must come from begin\(\)/,
    );
    expect(await count('checkpoints')).toBe(0);
    // A pending checkpoint from another manager on the same database is fine.
    expect((await cm.commit(new CheckpointManager(db).begin('task-1', 's', {}))).seq).toBe(1);
  });

  it('fences a commit made under a lease: accepted while held, refused (nothing written) once taken over', async () => {
    const { db, count, expire } = await open();
    const leasesOf = (workerId: string) => new LeaseManager(db, { workerId, leaseDurationMs: 60_000 });
    const [a, b] = [leasesOf('a'), leasesOf('b')];
    await a.enqueue([{ id: 'job' }]);
    const lease = (await a.acquire('job'))!;
    const cm = new CheckpointManager(db);
    expect((await cm.commit(cm.begin('t', 'by-a', {}), undefined, { lease })).seq).toBe(1);
    await expire('job');
    const taken = (await b.acquire('job'))!;
    expect(taken.epoch).toBe(lease.epoch + 1);
    const refused: unknown = await cm.commit(cm.begin('t', 'late', {}), undefined, { lease }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LeaseLostError);
    expect((refused as LeaseLostError).message).toMatch(/epoch/);
    expect(cm.metrics.snapshot().counters.leaseLost).toBe(1);
    expect(await count('checkpoints')).toBe(1);
  });
});
