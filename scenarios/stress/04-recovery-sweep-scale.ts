import { defineStress } from '../../harness/define.js';

/** The count-th time some leases ended. */
const expired = (count: number) => ({
  after: { kind: 'fault.injected' as const, worker: 'harness', where: { fault: 'lease-expiry' }, count },
});

export default defineStress({
  id: 'recovery-sweep-scale',
  title: 'Recovery sweep at scale',
  purpose: 'One sweep recovers 1,000 and then 100,000 expired leases, completely and fast.',
  seedTest: 'TestRecoverySweepStress::test_recovery_sweep_large_scale',
  procedure: [
    'A worker enqueues 1,000 items and leases them all for 1 s, then exits holding them.',
    "The leases end without anyone waiting (on SQLite the sweeper's clock is moved just past them, on PostgreSQL they expire by the server's clock) and the sweeper sweeps once (with a recovery checkpoint per item).",
    'A second worker then enqueues 100,000 more and leases 100,000 items; once those leases have ended the same way, the sweeper sweeps again.',
  ],
  workers: [
    {
      name: 'small',
      workload: 'lease-worker',
      params: { enqueue: 1000, leaseDurationMs: 1000, maxAttempts: 1001, then: 'keep', quiet: true },
    },
    { name: 'sweeper', workload: 'sweeper', params: { sweeps: 2 } },
    {
      name: 'large',
      workload: 'lease-worker',
      params: {
        enqueue: 100_000,
        enqueuePrefix: 'big-',
        leaseDurationMs: 1000,
        maxAttempts: 100_001,
        maxAcquisitions: 100_000,
        then: 'keep',
        quiet: true,
      },
      start: { after: { kind: 'sweep.finished', worker: 'sweeper', count: 1 } },
    },
  ],
  faults: [
    {
      kind: 'lease-expiry',
      target: 'small',
      seenBy: 'sweeper',
      inject: { after: { kind: 'worker.exited', worker: 'small' } },
    },
    {
      kind: 'lease-expiry',
      target: 'large',
      seenBy: 'sweeper',
      inject: { after: { kind: 'worker.exited', worker: 'large' } },
    },
  ],
  commands: [
    { to: 'sweeper', send: { cmd: 'sweep' }, on: expired(1) },
    { to: 'sweeper', send: { cmd: 'sweep' }, on: expired(2) },
  ],
  criteria: [
    {
      id: 'recovered-1k',
      description: 'Recovered in the 1,000 sweep',
      seed: '100 % (1000/1000)',
      ours: '1000/1000',
      check: { check: 'event-field', kind: 'sweep.finished', field: 'recovered', aggregate: 'min', equals: 1000 },
    },
    {
      id: 'recovered-100k',
      description: 'Recovered in the 100,000 sweep',
      seed: '—',
      ours: '100000/100000',
      check: { check: 'event-field', kind: 'sweep.finished', field: 'recovered', aggregate: 'max', equals: 100_000 },
    },
    {
      id: 'errors',
      description: 'Sweep errors',
      seed: '0',
      ours: '0',
      check: { check: 'event-field', kind: 'sweep.finished', field: 'errors', equals: 0 },
    },
    {
      id: 'duration-1k',
      description: 'Duration of the 1,000 sweep',
      seed: '< 10 s',
      ours: '≤ 20 ms',
      check: {
        check: 'event-field',
        kind: 'sweep.finished',
        where: { recovered: 1000 },
        field: 'durationMs',
        max: 20,
        unit: ' ms',
      },
      kind: 'target',
    },
    {
      id: 'duration-100k',
      description: 'Duration of the 100,000 sweep',
      seed: '—',
      ours: '≤ 1 s',
      check: {
        check: 'event-field',
        kind: 'sweep.finished',
        where: { recovered: 100_000 },
        field: 'durationMs',
        max: 1000,
        unit: ' ms',
      },
      kind: 'target',
      alert: 'recovery_sweep_duration',
    },
    {
      id: 'all-pending',
      description: 'Items back in the queue',
      seed: '—',
      ours: '101,000 pending',
      check: { check: 'work-items', status: 'pending', equals: 101_000 },
    },
  ],
  timeoutMs: 120_000,
  // Each sweep records its reclaims as checkpoints: RecoverySweep in full.
  requires: ['leases', 'sweep'],
});
