import { describe, expect, it } from 'vitest';
import { useTempDb } from '../../test/helpers/temp-db.js';
import { CheckpointManager, DiskFullError } from '../index.js';

describe('a full disk', () => {
  const tempDb = useTempDb();

  it('is a DiskFullError naming the database; nothing acknowledged is lost and writes carry on once space returns', async () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    const pages = db.sqlite.pragma('page_count', { simple: true }) as number;
    // SQLite's own cap on the file's size: the same SQLITE_FULL a full disk gives.
    db.sqlite.pragma(`max_page_count = ${pages + 2}`);
    const acked: number[] = [];
    let failure: unknown;
    for (let i = 0; i < 1000 && failure === undefined; i++) {
      try {
        acked.push((await cm.commit(cm.begin('t', `s${i}`, { padding: 'x'.repeat(2000) }))).seq);
      } catch (error) {
        failure = error;
      }
    }
    expect(failure).toBeInstanceOf(DiskFullError);
    expect((failure as DiskFullError).message).toContain(db.path);
    expect((await cm.list('t')).map((c) => c.seq)).toEqual(acked);
    db.sqlite.pragma(`max_page_count = ${pages + 1000}`);
    const next = await cm.commit(cm.begin('t', 'after', {}));
    expect(next.seq).toBe(acked.length + 1);
    expect(db.integrityCheck()).toEqual(['ok']);
  });
});
