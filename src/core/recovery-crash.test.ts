import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { builtPath } from '../../harness/workers/build.js';
import { describeEachStore } from '../../test/helpers/stores.js';
import type { AgentDatabase } from '../sqlite/db.js';
import {
  CRASH_POINT_VARIABLE,
  CheckpointManager,
  LeaseManager,
  RECOVERY_TASK_PREFIX,
  RecoverySweep,
} from '../index.js';
import type { PgDatabase } from '../pg/db.js';
import type { AgentStore } from '../store.js';

/** Runs one sweep (batches of 3) on `db`'s database in a child process with `armed` as its crash point. */
function sweepInChild(db: AgentStore, armed: string) {
  const where =
    db.backend === 'sqlite'
      ? [(db as AgentDatabase).path]
      : [((db as PgDatabase).pool.options as { connectionString: string }).connectionString, (db as PgDatabase).schema];
  const url = (path: string): string => JSON.stringify(pathToFileURL(builtPath(path)).href);
  const script =
    `const { RecoverySweep, openDatabase } = await import(${url('src/index.ts')});` +
    `const { openPgDatabase } = await import(${url('src/pg/index.ts')});` +
    `const [where, schema] = process.argv.slice(1);` +
    `const db = schema === undefined ? openDatabase(where) : await openPgDatabase({ connectionString: where, schema });` +
    `const stats = await new RecoverySweep(db, { batchSize: 3 }).scanAndRecover();` +
    `console.log('recovered ' + stats.recovered); await db.close();`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script, ...where], {
    encoding: 'utf8',
    env: { ...process.env, [CRASH_POINT_VARIABLE]: armed },
    timeout: 30_000,
  });
}

describeEachStore('sweep.mid-batch crash point', (open) => {
  it('a sweep killed between recording and reclaiming its 2nd batch leaves that batch neither recorded nor reclaimed', async () => {
    const { db, expire, leaseLog } = await open();
    const lm = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 60_000 });
    const ids = ['i1', 'i2', 'i3', 'i4', 'i5'];
    await lm.enqueue(ids.map((id) => ({ id })));
    await lm.acquireBatch(5);
    for (const id of ids) await expire(id);

    const child = sweepInChild(db, 'sweep.mid-batch:2');
    expect(child.stderr).toContain('crash point sweep.mid-batch reached (pass 2): SIGKILL');
    expect(child.signal).toBe('SIGKILL');
    const cm = new CheckpointManager(db);
    const state = async () =>
      Promise.all(
        ids.map(async (id) => [
          (await lm.get(id))?.status,
          (await cm.list(`${RECOVERY_TASK_PREFIX}${id}`)).map((c) => c.seq),
          await leaseLog(id),
        ]),
      );
    const first = [['pending', [1], ['acquire@1:w', 'reclaim@1:w']]];
    const second = [['leased', [], ['acquire@1:w']]];
    expect(await state()).toEqual([...first, ...first, ...first, ...second, ...second]);

    // The next sweep takes the rest, numbering their recovery checkpoints from 1: nothing of the lost batch remains.
    expect(await new RecoverySweep(db).scanAndRecover()).toMatchObject({ recovered: 2, checkpointsCreated: 2 });
    expect(await state()).toEqual(ids.map(() => first[0]));
  });
});
