import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ToolLedger, type ToolResult } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

/**
 * Runs `commands` unique shell commands through the ledger twice. Each command appends one line to its own file
 * under effects/, so the files show how many times each really ran.
 */
export const toolReplay = defineWorkload<'tool-replay'>({
  async run({ db, runDir, channel }, params) {
    const ledger = new ToolLedger(db);
    const effects = join(runDir, 'effects');
    mkdirSync(effects, { recursive: true });
    const commands = Array.from(
      { length: params.commands },
      (_, i) => `echo ran >> effects/cmd-${i}.log; printf 'output %s\\n' ${i}; printf 'e${i}' >&2${params.sleepSeconds > 0 ? `; sleep ${params.sleepSeconds}` : ''}`,
    );
    const firstResults: ToolResult[] = [];
    for (let pass = 1; pass <= params.passes; pass++) {
      const before = ledger.stats();
      let mismatches = 0;
      for (let start = 0; start < commands.length; start += params.concurrency) {
        const batch = commands.slice(start, start + params.concurrency);
        const results = await Promise.all(batch.map((c) => ledger.run(c, { cwd: runDir })));
        results.forEach((r, j) => {
          const i = start + j;
          const first = firstResults[i];
          if (!first) firstResults[i] = r;
          else if (first.stdout !== r.stdout || first.stderr !== r.stderr || first.exitCode !== r.exitCode) mismatches++;
        });
      }
      const after = ledger.stats();
      channel.emit({ kind: 'tool.pass', pass, executed: after.executed - before.executed, replayed: after.replayed - before.replayed, mismatches });
    }
    const s = ledger.stats();
    return { executed: s.executed, replayed: s.replayed, replayRatePercent: s.replayRate * 100 };
  },
});
