// The layer on PostgreSQL: workers on several machines share one server. Connects to the URL given as the first
// argument, else to the server the standard PG* variables name; works in a schema of its own and drops it at the end.
import { CheckpointManager, LeaseLostError, LeaseManager, RecoverySweep } from '../src/index.js';
import { openPgDatabase } from '../src/pg/index.js';

const schema = `agentos_example_${process.pid}`;
const url = process.argv[2];
const db = await openPgDatabase({ ...(url !== undefined ? { connectionString: url } : {}), schema });
try {
  // Leases: FOR UPDATE SKIP LOCKED hands each item to one worker; expiry is decided by the server's clock.
  const a = new LeaseManager(db, { workerId: 'host-a', leaseDurationMs: 30_000 });
  const b = new LeaseManager(db, { workerId: 'host-b', leaseDurationMs: 30_000 });
  await a.enqueue([{ id: 'job-1', taskId: 'task-1' }]);
  const lease = await a.acquire();
  if (!lease) throw new Error('nothing to acquire');
  console.log(`host-a holds ${lease.itemId} at epoch ${lease.epoch}`);

  // Checkpoints: per-task, gap-free sequence numbers; under a lease, fenced in the same statement.
  const checkpoints = new CheckpointManager(db);
  const first = await checkpoints.commit(checkpoints.begin('task-1', 'plan', { goal: 'ship it' }), undefined, {
    lease,
  });
  console.log(`checkpoint seq ${first.seq}`);

  // host-a stalls; its lease runs out (here: ended at once, by the server's clock) and host-b takes over.
  await db.query("UPDATE work_items SET lease_expires_at = agentos_now_ms() WHERE id = 'job-1'");
  const taken = await b.acquire('job-1');
  console.log(`host-b took ${taken?.itemId} at epoch ${taken?.epoch}`);
  try {
    await checkpoints.commit(checkpoints.begin('task-1', 'act', { by: 'host-a' }), undefined, { lease });
  } catch (error) {
    if (!(error instanceof LeaseLostError)) throw error;
    console.log(`host-a's late write refused: ${error.message}`);
  }
  if (taken) await b.complete(taken, { ok: true });
  console.log(`swept ${(await new RecoverySweep(db).scanAndRecover()).recovered} expired lease(s)`);
} finally {
  await db.query(`DROP SCHEMA ${schema} CASCADE`);
  await db.close();
}
