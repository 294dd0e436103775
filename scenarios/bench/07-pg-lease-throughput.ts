import { defineBenchmark } from '../../harness/define.js';

// A sample is 120 jobs, so a sample's mean in ms is 120,000 ÷ jobs per second.
export default defineBenchmark({
  id: 'pg-lease-throughput',
  title: 'Lease throughput on PostgreSQL',
  purpose:
    'How many no-op jobs per second go from pending through a fenced lease to completed, one at a time and in pipelined batches, against a bare FOR UPDATE SKIP LOCKED loop, graphile-worker and pg-boss.',
  seedTest: '—',
  procedure: [
    'Each variant runs in a fresh process on a fresh schema holding 30,000 pending jobs, with the server’s synchronous_commit (on by default).',
    'One sample is 120 jobs: acquire (FOR UPDATE SKIP LOCKED, epoch bumped, logged) then complete (fenced by the epoch, logged), by 1 or 4 workers with a connection each.',
    'The batch variant takes 10 jobs per statement and completes them in one statement while it acquires the next 10.',
    'The floor: the same take and complete as bare UPDATEs, without epoch, fencing or log.',
    'The peers on the same server, each with its own client API and the server’s durability. graphile-worker 0.17.3: a runner with 1 or 4 workers and a no-op task over a full queue, by default and with its best settings (a local queue of 10, batched completion); a sample waits for its next 120 job:success events. That favours it a little: it reports a success before its completion commits, and it works on between samples.',
    'pg-boss 10.4.2 (the last release for Node 20): 4 workers taking 10 jobs each, each notified as its handler runs, so it fetches again at once rather than after its polling interval; a sample waits for its next 120 jobs handled (pg-boss completes a job without awaiting the completion, which favours it a little). One job at a time it is left out: its fetch slows with the depth of the queue, to about 29 jobs/s with 4 workers over 30,000 queued.',
  ],
  variants: [
    { name: 'one-at-a-time-1', subject: 'pg-lease-cycle-1' },
    { name: 'one-at-a-time-4', subject: 'pg-lease-cycle-4' },
    { name: 'batch-pipelined-4', subject: 'pg-lease-batch-4' },
    { name: 'skip-locked-floor-1', subject: 'pg-skip-locked-1', peer: true },
    { name: 'graphile-worker-1', subject: 'graphile-worker-1', peer: true },
    { name: 'graphile-worker-4', subject: 'graphile-worker-4', peer: true },
    { name: 'graphile-worker-best-4', subject: 'graphile-worker-best-4', peer: true },
    { name: 'pg-boss-batch-4', subject: 'pg-boss-batch-4', peer: true },
  ],
  timeMs: 1000,
  warmupMs: 200,
  iterations: 5,
  criteria: [
    {
      id: 'one-at-a-time',
      description:
        'One worker, one job at a time, against graphile-worker’s default (time per 120 jobs: lower is faster)',
      seed: '—',
      ours: '≤ 1.0× (at least its throughput)',
      metric: { variant: 'one-at-a-time-1', stat: 'mean', ratioTo: 'graphile-worker-1', max: 1.0 },
    },
    {
      id: 'one-at-a-time-4',
      description: 'Four workers, one job at a time, against graphile-worker’s default with 4 workers',
      seed: '—',
      ours: '≤ 1.0×',
      metric: { variant: 'one-at-a-time-4', stat: 'mean', ratioTo: 'graphile-worker-4', max: 1.0 },
    },
    {
      id: 'batch-4',
      description: 'Four workers, batches of 10, pipelined, against graphile-worker’s best settings with 4 workers',
      seed: '—',
      ours: '≤ 0.67× (≥ 1.5× its throughput)',
      metric: { variant: 'batch-pipelined-4', stat: 'mean', ratioTo: 'graphile-worker-best-4', max: 0.67 },
    },
    {
      id: 'batch-4-pg-boss',
      description: 'Four workers, batches of 10, pipelined, against pg-boss with 4 workers taking 10 jobs each',
      seed: '—',
      ours: '≤ 1.0× (at least its throughput)',
      metric: { variant: 'batch-pipelined-4', stat: 'mean', ratioTo: 'pg-boss-batch-4', max: 1.0 },
    },
    {
      id: 'vs-floor',
      description: 'One at a time relative to the bare SKIP LOCKED loop (the cost of epochs, fencing and the log)',
      seed: '—',
      ours: '≤ 1.3×',
      metric: { variant: 'one-at-a-time-1', stat: 'mean', ratioTo: 'skip-locked-floor-1', max: 1.3 },
    },
  ],
});
