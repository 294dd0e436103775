import { defineScenario } from '../../harness/define.js';

const calls = { commands: 24, passes: 1, concurrency: 8, sleepSeconds: 1 };

export default defineScenario({
  id: 'kill-mid-tool-call',
  title: 'A worker killed while its tool calls run',
  purpose:
    'Tool calls cut off by a crash are reported in doubt, not run again; finished ones are replayed; no command runs twice and no process outlives the scenario.',
  seedTest: '— (not in the seed: in-doubt tool calls)',
  procedure: [
    'A worker runs 24 shell commands through the tool ledger, 8 at a time; each appends a line to its own file under effects/ and then sleeps 1 s.',
    'The worker dies with SIGKILL right after starting its 16th command (crash point tool.after-spawn): 8 calls done, 8 in flight, their "started" rows written and their results not.',
    'A second worker runs the same 24 calls: the 8 finished are replayed, the 8 cut off are reported in doubt (InDoubtToolCallError), the 8 never started run now.',
    "Every effects file must hold exactly one line; the killed worker's orphaned commands are reaped by the harness.",
  ],
  workers: [
    { name: 'first', workload: 'tool-replay', params: calls },
    {
      name: 'second',
      workload: 'tool-replay',
      params: { ...calls, inDoubt: 'count' },
      start: { after: { kind: 'worker.exited', worker: 'first' } },
    },
  ],
  faults: [{ kind: 'crash-point', target: 'first', point: 'tool.after-spawn', at: 16 }],
  criteria: [
    {
      id: 'replayed',
      description: 'Calls the killed worker finished, replayed by the second',
      seed: '—',
      ours: '8',
      check: { check: 'event-field', kind: 'tool.pass', worker: 'second', field: 'replayed', equals: 8 },
    },
    {
      id: 'in-doubt',
      description: 'Calls cut off by the kill, reported in doubt instead of run again',
      seed: '—',
      ours: '8',
      check: { check: 'event-field', kind: 'tool.pass', worker: 'second', field: 'inDoubt', equals: 8 },
    },
    {
      id: 'executed',
      description: 'Calls the killed worker never started, run by the second',
      seed: '—',
      ours: '8',
      check: { check: 'event-field', kind: 'tool.pass', worker: 'second', field: 'executed', equals: 8 },
    },
    {
      id: 'exactly-once',
      description: 'Side effects counted in files',
      seed: '—',
      ours: 'each command exactly once',
      check: { check: 'side-effects-exactly-once', dir: 'effects', files: 24 },
    },
    { id: 'integrity', description: 'PRAGMA integrity_check', seed: '—', ours: 'ok', check: { check: 'integrity-ok' } },
    {
      id: 'no-errors',
      description: 'No worker failed (the killed one aside)',
      seed: '—',
      ours: '0 errors',
      check: { check: 'no-worker-errors' },
    },
  ],
  timeoutMs: 60_000,
  requires: ['tools'],
});
