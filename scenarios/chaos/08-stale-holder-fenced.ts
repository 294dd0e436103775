import { defineScenario } from '../../harness/define.js';

const holderDid = (cmd: string) => ({ after: { kind: 'command.done' as const, worker: 'holder', where: { cmd } } });
const takerDid = (cmd: string) => ({ after: { kind: 'command.done' as const, worker: 'taker', where: { cmd } } });

export default defineScenario({
  id: 'stale-holder-fenced',
  title: 'A stale lease holder cannot write',
  purpose:
    'A holder paused past its lease wakes up after a takeover: its checkpoint, its tool call and its complete are all refused, and nothing it tried is in the database.',
  seedTest: '— (not in the seed: fencing of every write made under a lease)',
  procedure: [
    'Worker "holder" acquires work item "job" (task "job-task") with a 3 s lease; the harness then freezes it with SIGSTOP.',
    "The holder's lease ends (no real waiting: on SQLite the sweeper's clock is moved just past it, on PostgreSQL it expires by the server's clock) and the sweeper reclaims it; worker \"taker\" acquires the item at a higher epoch.",
    'The holder is resumed and told, one after the other, to commit a checkpoint to the task, to record a tool call that appends its name to effects/job.log, and to complete the item: each must be refused.',
    'The taker then does the same three things: each must be accepted.',
    'Checks: the lease log shows no write accepted under a stale epoch; effects/job.log holds one line; the item is completed once.',
  ],
  workers: [
    { name: 'holder', workload: 'lease-holder', params: { itemId: 'job', taskId: 'job-task', leaseDurationMs: 3000 } },
    { name: 'sweeper', workload: 'sweeper', params: { createCheckpoints: false } },
    {
      name: 'taker',
      workload: 'lease-holder',
      params: { itemId: 'job', taskId: 'job-task', leaseDurationMs: 3000 },
      start: { after: { kind: 'sweep.finished', worker: 'sweeper' } },
    },
  ],
  faults: [
    {
      kind: 'pause',
      target: 'holder',
      inject: { after: { kind: 'lease.acquired', worker: 'holder' } },
      heal: { after: { kind: 'lease.acquired', worker: 'taker' } },
    },
    {
      kind: 'lease-expiry',
      target: 'holder',
      seenBy: 'sweeper',
      inject: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'pause' } } },
    },
  ],
  commands: [
    {
      to: 'sweeper',
      send: { cmd: 'sweep' },
      on: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'lease-expiry' } } },
    },
    {
      to: 'holder',
      send: { cmd: 'checkpoint' },
      on: { after: { kind: 'fault.healed', worker: 'harness', where: { fault: 'pause' } } },
    },
    { to: 'holder', send: { cmd: 'tool' }, on: holderDid('checkpoint') },
    { to: 'holder', send: { cmd: 'complete' }, on: holderDid('tool') },
    { to: 'holder', send: { cmd: 'stop' }, on: holderDid('complete') },
    { to: 'taker', send: { cmd: 'checkpoint' }, on: holderDid('complete') },
    { to: 'taker', send: { cmd: 'tool' }, on: takerDid('checkpoint') },
    { to: 'taker', send: { cmd: 'complete' }, on: takerDid('tool') },
  ],
  criteria: [
    {
      id: 'stale-refused',
      description: 'The taker acquired at a higher epoch; every write of the stale holder after that was refused',
      seed: '—',
      ours: 'epoch +1; 0 accepted',
      check: { check: 'takeover-fenced', holder: 'holder', taker: 'taker' },
    },
    {
      id: 'refusals',
      description: 'LeaseLostError on the stale checkpoint, tool call and complete',
      seed: '—',
      ours: '3 refusals',
      check: { check: 'event-count', kind: 'lease.lost', worker: 'holder', equals: 3 },
    },
    {
      id: 'taker-accepted',
      description: "The taker's checkpoint, tool call and complete were accepted",
      seed: '—',
      ours: '3 accepted',
      check: { check: 'event-count', kind: 'command.done', worker: 'taker', where: { outcome: 'ok' }, equals: 3 },
    },
    {
      id: 'no-stale-writes',
      description: 'Writes accepted under a stale epoch, replaying the lease log in commit order',
      seed: '—',
      ours: '0',
      check: { check: 'no-stale-epoch-writes' },
    },
    {
      id: 'effect-once',
      description: 'effects/job.log: the tool call ran for the taker only',
      seed: '—',
      ours: '1 line',
      check: { check: 'side-effects-exactly-once', dir: 'effects', files: 1 },
    },
    {
      id: 'completed-once',
      description: 'The item ends completed, by the taker',
      seed: '—',
      ours: '1 completed',
      check: { check: 'work-items', status: 'completed', equals: 1 },
    },
    {
      id: 'no-errors',
      description: 'No worker failed',
      seed: '—',
      ours: '0 errors',
      check: { check: 'no-worker-errors' },
    },
  ],
  timeoutMs: 30_000,
  requires: ['leases', 'tools'],
});
