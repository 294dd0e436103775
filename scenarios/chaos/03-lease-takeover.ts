import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'lease-takeover',
  title: 'Lease expiration and takeover',
  purpose: 'An expired lease is reclaimed and taken over, and the stale holder that wakes up later is fenced off.',
  seedTest: 'TestScenario3_LeaseExpiration::test_lease_expiration_and_takeover',
  procedure: [
    'Worker "holder" acquires work item "job" with a 3 s lease; the harness then freezes it with SIGSTOP.',
    "The holder's lease ends (no real waiting: on SQLite the sweeper's clock is moved just past it, on PostgreSQL it expires by the server's clock), and the sweeper runs a recovery sweep.",
    'Worker "taker" acquires the same item: its epoch must be higher.',
    'The holder is resumed with SIGCONT and told to renew, then to complete: both must be refused.',
  ],
  workers: [
    { name: 'holder', workload: 'lease-holder', params: { itemId: 'job', leaseDurationMs: 3000 } },
    // Only the reclaim matters here: recording it as a checkpoint is recovery-sweep-stress's (capability sweep).
    { name: 'sweeper', workload: 'sweeper', params: { createCheckpoints: false } },
    {
      name: 'taker',
      workload: 'lease-holder',
      params: { itemId: 'job', leaseDurationMs: 3000 },
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
      send: { cmd: 'renew' },
      on: { after: { kind: 'fault.healed', worker: 'harness', where: { fault: 'pause' } } },
    },
    {
      to: 'holder',
      send: { cmd: 'complete' },
      on: { after: { kind: 'lease.lost', worker: 'holder', where: { operation: 'renew' } } },
    },
    {
      to: 'holder',
      send: { cmd: 'stop' },
      on: { after: { kind: 'lease.lost', worker: 'holder', where: { operation: 'complete' } } },
    },
    {
      to: 'taker',
      send: { cmd: 'complete' },
      on: { after: { kind: 'lease.lost', worker: 'holder', where: { operation: 'complete' } } },
    },
  ],
  criteria: [
    {
      id: 'expiry-detected',
      description: 'The sweep found and reclaimed the expired lease',
      seed: 'lease expiration detected; sweep reclaims it',
      ours: '1 found, 1 recovered',
      check: { check: 'event-field', kind: 'sweep.finished', field: 'recovered', equals: 1 },
    },
    {
      id: 'takeover',
      description: 'The taker acquired with a higher epoch; the stale holder was refused every time',
      seed: 'second worker acquires the work',
      ours: 'epoch +1, stale renew and complete refused',
      check: { check: 'takeover-fenced', holder: 'holder', taker: 'taker' },
    },
    {
      id: 'stale-refusals',
      description: 'LeaseLostError on the stale renew and on the stale complete',
      seed: '—',
      ours: '2 refusals',
      check: { check: 'event-count', kind: 'lease.lost', worker: 'holder', equals: 2 },
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
  requires: ['leases'],
});
