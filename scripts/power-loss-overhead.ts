// Checkpoint commit latency on lossyfs next to the ordinary disk: `pnpm tsx scripts/power-loss-overhead.ts [commits] [rounds]`.
import { lossyFsUnavailable } from '../harness/powerloss/availability.js';
import { measureCommitOverhead } from '../harness/powerloss/overhead.js';

const [commits = 2000, rounds = 3] = process.argv.slice(2).map(Number);
const unavailable = lossyFsUnavailable();
if (unavailable) {
  console.log(`not applicable: ${unavailable}`);
  process.exit(0);
}
const rows = await measureCommitOverhead({ commits, rounds });
const ms = (x: number | null): string => (x === null ? '—' : x.toFixed(3));
console.log(`checkpoint commit, one process, ${commits} commits × ${rounds} rounds per variant (ms)\n`);
console.log('| durability | where | P50 | P99 | P50 ratio to disk |');
console.log('|---|---|---:|---:|---:|');
for (const row of rows) {
  const disk = rows.find((r) => r.durability === row.durability && r.where === 'disk')?.latency.p50 ?? null;
  const ratio = disk && row.latency.p50 !== null ? `${(row.latency.p50 / disk).toFixed(2)}×` : '—';
  console.log(`| ${row.durability} | ${row.where} | ${ms(row.latency.p50)} | ${ms(row.latency.p99)} | ${ratio} |`);
}
