import { defineScenario } from '../../harness/define.js';

export default defineScenario({
  id: 'recovery-sweep-stress',
  title: 'Recovery sweep stress',
  purpose: 'One sweep finds and recovers every expired lease, quickly, and nothing else.',
  seedTest: 'TestScenario4_RecoverySweepStress::test_recovery_sweep_stress',
  procedure: [
    'A worker enqueues 100 work items and acquires all of them with 1 s leases, then exits holding them.',
    "Every lease ends without anyone waiting: on SQLite the sweeper's clock is moved just past the last of them, on PostgreSQL they expire by the server's clock.",
    'The sweeper runs one recovery sweep; the harness checks its stats and the final state of the items.',
  ],
  workers: [
    {
      name: 'acquirer',
      workload: 'lease-worker',
      params: { enqueue: 100, leaseDurationMs: 1000, maxAttempts: 101, then: 'keep' },
    },
    { name: 'sweeper', workload: 'sweeper', params: { createCheckpoints: true } },
  ],
  faults: [
    {
      kind: 'lease-expiry',
      target: 'acquirer',
      seenBy: 'sweeper',
      inject: { after: { kind: 'worker.exited', worker: 'acquirer' } },
    },
  ],
  commands: [
    {
      to: 'sweeper',
      send: { cmd: 'sweep' },
      on: { after: { kind: 'fault.injected', worker: 'harness', where: { fault: 'lease-expiry' } } },
    },
  ],
  criteria: [
    {
      id: 'acquired',
      description: 'Leases taken before the skew',
      seed: '100 leases with 1 s expiry',
      ours: '100',
      check: { check: 'event-count', kind: 'lease.acquired', equals: 100 },
    },
    {
      id: 'found',
      description: 'Expired leases found by the sweep',
      seed: '100/100 expired leases found',
      ours: '100/100',
      check: { check: 'event-field', kind: 'sweep.finished', field: 'expiredFound', equals: 100 },
    },
    {
      id: 'recovered',
      description: 'Work items back in the pending queue',
      seed: '100/100 work items recovered',
      ours: '100/100 pending',
      check: { check: 'work-items', status: 'pending', equals: 100 },
    },
    {
      id: 'errors',
      description: 'Sweep errors',
      seed: '—',
      ours: '0',
      check: { check: 'event-field', kind: 'sweep.finished', field: 'errors', equals: 0 },
    },
    {
      id: 'duration',
      description: 'Sweep duration',
      seed: '< 5 s',
      ours: '≤ 20 ms',
      check: { check: 'event-field', kind: 'sweep.finished', field: 'durationMs', max: 20, unit: ' ms' },
      kind: 'target',
    },
    { id: 'integrity', description: 'PRAGMA integrity_check', seed: '—', ours: 'ok', check: { check: 'integrity-ok' } },
  ],
  timeoutMs: 30_000,
  // The sweep records each reclaim as a checkpoint: RecoverySweep in full.
  requires: ['leases', 'sweep'],
});
