import { defineScenario } from '../../harness/define.js';

const holderDid = (cmd: string) => ({ after: { kind: 'command.done' as const, worker: 'holder', where: { cmd } } });
const takerDid = (cmd: string) => ({ after: { kind: 'command.done' as const, worker: 'taker', where: { cmd } } });

export default defineScenario({
  id: 'pg-partitioned-holder',
  title: 'A partitioned lease holder cannot write',
  purpose:
    'A lease holder cut off from the server sends a checkpoint into the partition; its lease expires, another worker takes over, and when the partition heals the stale write is refused.',
  seedTest: '— (not in the seed: fencing across a network partition)',
  procedure: [
    'Worker "holder" acquires work item "job" with a 60 s lease; its connections go through a TCP proxy, which then holds every byte (a partition of that worker only).',
    'The holder is told to commit a checkpoint: the statement goes into the partition.',
    'The holder\'s lease is expired by the server\'s clock (no waiting), and worker "taker", connected directly, acquires the item at a higher epoch and commits a checkpoint.',
    "The partition heals: the holder's statement reaches the server and must be refused, as must its tool call (appending its name to effects/job.log) and its complete.",
    'The taker then records the same tool call and completes the item: both accepted.',
    'Checks: the lease log shows no write accepted under a stale epoch; effects/job.log holds one line; the item is completed once, by the taker.',
  ],
  workers: [
    {
      name: 'holder',
      workload: 'lease-holder',
      params: { itemId: 'job', taskId: 'job-task', leaseDurationMs: 60_000 },
    },
    {
      name: 'taker',
      workload: 'lease-holder',
      params: { itemId: 'job', taskId: 'job-task', leaseDurationMs: 60_000 },
      start: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'lease-expiry' } } },
    },
  ],
  faults: [
    {
      kind: 'network',
      target: 'holder',
      mode: 'blackhole',
      inject: { after: { kind: 'lease.acquired', worker: 'holder' } },
      heal: takerDid('checkpoint'),
    },
    {
      kind: 'lease-expiry',
      target: 'holder',
      inject: { after: { kind: 'command.sent', worker: 'harness', where: { to: 'holder', cmd: 'checkpoint' } } },
    },
  ],
  commands: [
    {
      to: 'holder',
      send: { cmd: 'checkpoint' },
      on: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'network' } } },
    },
    { to: 'taker', send: { cmd: 'checkpoint' }, on: { after: { kind: 'lease.acquired', worker: 'taker' } } },
    { to: 'holder', send: { cmd: 'tool' }, on: holderDid('checkpoint') },
    { to: 'holder', send: { cmd: 'complete' }, on: holderDid('tool') },
    { to: 'holder', send: { cmd: 'stop' }, on: holderDid('complete') },
    { to: 'taker', send: { cmd: 'tool' }, on: holderDid('complete') },
    { to: 'taker', send: { cmd: 'complete' }, on: takerDid('tool') },
  ],
  criteria: [
    {
      id: 'stale-refused',
      description: 'The taker holds a higher epoch; every write the holder made after the takeover was refused',
      seed: '—',
      ours: 'epoch +1; 0 accepted',
      check: { check: 'takeover-fenced', holder: 'holder', taker: 'taker' },
    },
    {
      id: 'refusals',
      description: "The holder's checkpoint (sent into the partition), tool call and complete were refused",
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
      description: 'Writes accepted under a stale epoch, from the lease log',
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
      description: 'The item is completed once',
      seed: '—',
      ours: '1 completed',
      check: { check: 'work-items', status: 'completed', equals: 1 },
    },
    {
      id: 'no-errors',
      description: 'Worker errors',
      seed: '—',
      ours: '0 errors',
      check: { check: 'no-worker-errors', allowKilled: false },
    },
  ],
  timeoutMs: 30_000,
  requires: ['leases', 'tools', 'server'],
});
