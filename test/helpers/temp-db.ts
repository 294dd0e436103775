import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { ManualClock, openDatabase, type AgentDatabase, type OpenDatabaseOptions } from '../../src/index.js';

/** A fresh directory per test, removed (with any database opened in it) afterwards. */
export function useTempDir(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentos-test-'));
    dirs.push(dir);
    return dir;
  };
}

/** Opens a database in a fresh temp dir with a ManualClock; closed after the test. */
export function useTempDb(): (options?: OpenDatabaseOptions) => { db: AgentDatabase; clock: ManualClock; dir: string } {
  const tempDir = useTempDir();
  const open: AgentDatabase[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) db.close();
  });
  return (options = {}) => {
    const dir = tempDir();
    const clock = new ManualClock();
    const db = openDatabase(join(dir, 'agentos.db'), { clock, ...options });
    open.push(db);
    return { db, clock, dir };
  };
}
