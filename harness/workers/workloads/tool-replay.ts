import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InDoubtToolCallError, type ToolResult } from '../../../src/index.js';
import { defineWorkload } from '../workload.js';

/**
 * Runs `commands` unique shell commands through the ledger, `passes` times, `concurrency` at a time. Each command
 * appends one line to its own file under effects/, so the files show how many times each really ran. A call left in
 * doubt by an earlier worker's crash fails the worker, or is counted (inDoubt: 'count').
 */
export const toolReplay = defineWorkload<'tool-replay'>({
  async run({ runDir, channel, openSubject }, params) {
    const ledger = (await openSubject()).tools;
    if (!ledger) throw new Error('tool-replay needs a subject with a tool ledger');
    const effects = join(runDir, 'effects');
    mkdirSync(effects, { recursive: true });
    const commands = Array.from(
      { length: params.commands },
      (_, i) =>
        `echo ran >> effects/cmd-${i}.log; printf 'output %s\\n' ${i}; printf 'e${i}' >&2${params.sleepSeconds > 0 ? `; sleep ${params.sleepSeconds}` : ''}`,
    );
    const firstResults: ToolResult[] = [];
    let inDoubtTotal = 0;
    let ops = 0;
    for (let pass = 1; pass <= params.passes; pass++) {
      const before = ledger.stats();
      let mismatches = 0;
      let inDoubt = 0;
      for (let start = 0; start < commands.length; start += params.concurrency) {
        const batch = commands.slice(start, start + params.concurrency);
        const calls = batch.map((c, j) => {
          const token = `cmd-${start + j}`;
          if (!params.recordOps) return ledger.run(c, { cwd: runDir });
          const n = ++ops;
          channel.emit({ kind: 'op.invoke', op: 'tool', n, token });
          return ledger.run(c, { cwd: runDir }).then(
            (r) => (channel.emit({ kind: 'op.ok', op: 'tool', n, token }), r),
            (error: unknown) => {
              channel.emit({
                kind: 'op.fail',
                op: 'tool',
                n,
                token,
                error: error instanceof Error ? error.name : String(error),
              });
              throw error;
            },
          );
        });
        channel.emit({ kind: 'tool.batch', pass, batch: start / params.concurrency + 1, calls: calls.length });
        const settled = await Promise.allSettled(calls);
        settled.forEach((s, j) => {
          if (s.status === 'rejected') {
            if (params.inDoubt === 'count' && s.reason instanceof InDoubtToolCallError) return void inDoubt++;
            throw s.reason;
          }
          const r = s.value;
          const i = start + j;
          const first = firstResults[i];
          if (!first) firstResults[i] = r;
          else if (
            !first.stdoutBytes.equals(r.stdoutBytes) ||
            !first.stderrBytes.equals(r.stderrBytes) ||
            first.exitCode !== r.exitCode
          )
            mismatches++;
        });
      }
      const after = ledger.stats();
      inDoubtTotal += inDoubt;
      channel.emit({
        kind: 'tool.pass',
        pass,
        executed: after.executed - before.executed,
        replayed: after.replayed - before.replayed,
        mismatches,
        inDoubt,
      });
    }
    const s = ledger.stats();
    return { executed: s.executed, replayed: s.replayed, replayRatePercent: s.replayRate * 100, inDoubt: inDoubtTotal };
  },
});
