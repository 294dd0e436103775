import { defineStress } from '../../harness/define.js';

export default defineStress({
  id: 'lease-contention',
  title: 'Lease contention',
  purpose: 'Twenty workers competing for fifty items never share one, and none starves.',
  seedTest: 'TestWorkerPoolStress::test_lease_contention',
  procedure: [
    'A seeding worker enqueues 50 work items; twenty workers then start and wait.',
    'Released together, each makes up to 100 acquisition attempts, releasing every item it gets so the pool stays contended.',
    'From the history (epochs and worker-side hold intervals) the harness checks that no item ever had two live holders.',
  ],
  workers: [
    {
      name: 'seeder',
      workload: 'lease-worker',
      params: { enqueue: 50, leaseDurationMs: 30_000, maxAttempts: 1, maxAcquisitions: 1, then: 'release' },
    },
    {
      name: 'worker',
      workload: 'lease-worker',
      count: 20,
      params: { leaseDurationMs: 30_000, maxAttempts: 100, then: 'release', waitForGo: true },
      start: { after: { kind: 'worker.exited', worker: 'seeder' } },
    },
  ],
  commands: [
    { to: 'worker', send: { cmd: 'go' }, on: { after: { kind: 'worker.ready', worker: 'worker', count: 20 } } },
  ],
  criteria: [
    {
      id: 'all-acquired',
      description: 'Workers that acquired at least once',
      seed: 'all workers acquired leases',
      ours: '20/20',
      check: { check: 'every-worker-acquired', worker: 'worker' },
    },
    {
      id: 'exclusive',
      description: 'Items held by two live holders at once',
      seed: '—',
      ours: '0 (epochs strictly increase; hold intervals disjoint)',
      check: { check: 'no-overlapping-leases' },
      alert: 'lease_expiration_rate',
    },
    {
      id: 'fairness',
      description: 'Fairness of acquisitions across workers (Jain’s index)',
      seed: 'fair distribution',
      ours: '≥ 0.8',
      check: { check: 'acquisition-fairness', worker: 'worker', minJain: 0.8 },
      kind: 'target',
    },
    { id: 'no-errors', description: 'Worker errors', seed: '—', ours: '0', check: { check: 'no-worker-errors' } },
  ],
  timeoutMs: 60_000,
  // Its workers only take and give back leases: it runs on every subject with leases.
  requires: ['leases'],
});
