// `pnpm perf:quick`: prints the recovery layer's headline latencies on this machine, against the targets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LatencyRecorder } from '../harness/recorder.js';
import {
  CheckpointManager,
  LLMOutputCache,
  LeaseManager,
  ManualClock,
  RecoverySweep,
  openDatabase,
  type Durability,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'agentos-perf-'));
const fmt = (ms: number | null): string => (ms === null ? 'n/a' : `${ms.toFixed(4)} ms`);
const rows: [string, string, string][] = [];

async function commitLatency(durability: Durability): Promise<number | null> {
  const db = openDatabase(join(dir, `commit-${durability}.db`), { durability });
  const cm = new CheckpointManager(db);
  const rec = new LatencyRecorder();
  for (let i = 0; i < 3000; i++) {
    const t0 = performance.now();
    await cm.commit(cm.begin('perf-task', `s${i}`, { i, note: 'a small state' }));
    if (i >= 200) rec.record(performance.now() - t0);
  }
  db.close();
  return rec.summary().p50;
}

rows.push(['checkpoint commit P50, NORMAL', fmt(await commitLatency('normal')), '≤ 0.06 ms']);
rows.push(['checkpoint commit P50, FULL', fmt(await commitLatency('full')), '≤ 0.5 ms']);

{
  const db = openDatabase(join(dir, 'cache.db'));
  const cache = new LLMOutputCache(db);
  const requests = Array.from({ length: 2000 }, (_, i) => ({
    model: 'm',
    prompt: `prompt ${i}`,
    parameters: { temperature: 0 },
  }));
  for (const r of requests) await cache.put(r, { text: `answer for ${r.prompt}` });
  const rec = new LatencyRecorder();
  for (let round = 0; round < 5; round++) {
    for (const r of requests) {
      const t0 = performance.now();
      await cache.get(r);
      rec.record(performance.now() - t0);
    }
  }
  db.close();
  rows.push(['cache hit P50', fmt(rec.summary().p50), '≤ 0.02 ms']);
}

for (const n of [1_000, 100_000]) {
  const clock = new ManualClock();
  const db = openDatabase(join(dir, `sweep-${n}.db`), { clock });
  const leases = new LeaseManager(db, { workerId: 'perf', leaseDurationMs: 1000 });
  await leases.enqueue(Array.from({ length: n }, (_, i) => ({ id: `item-${i}` })));
  await leases.acquireBatch(n);
  clock.advance(1000);
  const stats = await new RecoverySweep(db).scanAndRecover();
  db.close();
  rows.push([
    `sweep of ${n.toLocaleString('en')} expired leases (${stats.recovered} recovered, ${stats.checkpointsCreated} recovery checkpoints)`,
    fmt(stats.durationMs),
    n === 1000 ? '≤ 20 ms' : '≤ 1 s',
  ]);
}

{
  const rec = new LatencyRecorder();
  const n = 5_000_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) rec.record(i * 1e-6);
  rows.push([
    'LatencyRecorder.record, per sample',
    `${(((performance.now() - t0) / n) * 1e6).toFixed(1)} ns`,
    '≤ 1 µs',
  ]);
}

rmSync(dir, { recursive: true, force: true });
const width = Math.max(...rows.map((r) => r[0].length));
for (const [name, value, target] of rows)
  console.log(`${name.padEnd(width)}  ${value.padStart(12)}   target ${target}`);
