// Runs a power-loss scenario once per seed and prints what each power loss cost, then the distribution:
// `pnpm tsx scripts/power-loss-repeat.ts <scenario-id> [times=50] [first-seed=1]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarios } from '../harness/load.js';
import { runScenario } from '../harness/run/scenario.js';
import { buildWorkers } from '../harness/workers/build.js';
import { nearestRank } from '../src/index.js';

const [id = 'power-loss-full', times = '50', firstSeed = '1'] = process.argv.slice(2);
const declared = (await loadScenarios()).find((l) => l.id === id);
if (!declared || declared.category === 'bench') {
  console.error(`no chaos scenario "${id}"; the power-loss scenarios are power-loss-full and power-loss-normal`);
  process.exit(2);
}
await buildWorkers();
const runsDir = mkdtempSync(join(tmpdir(), 'power-loss-repeat-'));
const runs: {
  seed: number;
  state: string;
  lost: number;
  acknowledged: number;
  ageMs: number | null;
  bytes: number;
  failing: string[];
}[] = [];
try {
  for (let seed = Number(firstSeed); seed < Number(firstSeed) + Number(times); seed++) {
    const result = await runScenario(declared.scenario, { seed, category: declared.category, runsDir });
    if (result.state === 'not-applicable') {
      console.log(`not applicable: ${result.reason}`);
      process.exit(0);
    }
    const tail = result.criteria.find((c) => c.measured.startsWith('power loss'))?.data ?? {};
    const failing = result.criteria
      .filter((c) => c.kind === 'gate' && c.valid !== true)
      .map((c) => `${c.id}: ${c.measured}`);
    const run = {
      seed,
      state: result.state,
      lost: tail.lost ?? NaN,
      acknowledged: tail.acknowledged ?? NaN,
      ageMs: tail.oldestLostAgeMs ?? null,
      bytes: tail.bytesDropped ?? NaN,
      failing,
    };
    runs.push(run);
    console.log(
      `seed ${seed}: ${run.state}; ${run.lost} of ${run.acknowledged} acknowledged lost${run.ageMs === null ? '' : `, oldest ${run.ageMs.toFixed(0)} ms old`}; ${run.bytes} bytes dropped${failing.length ? `; failing: ${failing.join(' | ')}` : ''}${result.state === 'failed' ? `; ${result.reasons.join(' | ')}` : ''}`,
    );
  }
} finally {
  rmSync(runsDir, { recursive: true, force: true });
}
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const lost = sorted(runs.map((r) => r.lost));
const bytes = sorted(runs.map((r) => r.bytes));
const ages = sorted(runs.flatMap((r) => (r.ageMs === null ? [] : [r.ageMs])));
console.log(`\n${id}: ${runs.filter((r) => r.state === 'passed').length}/${runs.length} passed`);
console.log(
  `acknowledged commits lost per power loss: median ${nearestRank(lost, 0.5)}, max ${lost.at(-1)}, total ${lost.reduce((a, b) => a + b, 0)} of ${runs.reduce((a, r) => a + r.acknowledged, 0)}`,
);
if (ages.length > 0)
  console.log(
    `age of the oldest lost commit at the power loss (ms): median ${nearestRank(ages, 0.5)?.toFixed(0)}, max ${ages.at(-1)?.toFixed(0)}`,
  );
console.log(`bytes dropped per power loss: median ${nearestRank(bytes, 0.5)}, min ${bytes[0]}, max ${bytes.at(-1)}`);
