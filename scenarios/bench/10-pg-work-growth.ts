import { defineBenchmark } from '../../harness/define.js';
import { MOST_GROWTH } from '../../harness/bench/growth-benchmark.js';

export default defineBenchmark({
  id: 'pg-work-growth',
  title: 'Cost as work grows on PostgreSQL',
  purpose:
    'Whether a checkpoint commit and a lease acquisition on PostgreSQL stay as fast with a million checkpoints or a hundred thousand pending items as with a few thousand.',
  seedTest: '—',
  procedure: [
    'Each variant runs in a fresh process on a fresh schema of the run’s server, with its synchronous_commit (on by default).',
    'Commit: the task already holds 10,000, 100,000 or 1,000,000 checkpoints of the benchmarks’ state, loaded by one INSERT … SELECT over generate_series (a million commits would take many minutes; the load about 7 s on the 2-core machine) and analysed, as autovacuum would have after such growth (it is off on these servers); CheckpointManager begin + commit of the next one is timed.',
    'Acquire: the queue holds 1,000 or 100,000 pending items, loaded the same way; one acquisition (the oldest pending item, FOR UPDATE SKIP LOCKED, epoch bumped, logged) is timed. Every 100th sample also adds 100 items at the tail, so the queue keeps its depth; those samples are outside the P50.',
    'tinybench times each for 400 ms (at least 50 calls) after a 100 ms warm-up.',
  ],
  variants: [
    { name: 'commit-10k', subject: 'pg-commit-at-10k' },
    { name: 'commit-100k', subject: 'pg-commit-at-100k' },
    { name: 'commit-1m', subject: 'pg-commit-at-1m' },
    { name: 'acquire-1k', subject: 'pg-acquire-at-1k' },
    { name: 'acquire-100k', subject: 'pg-acquire-at-100k' },
  ],
  timeMs: 400,
  warmupMs: 100,
  iterations: 50,
  criteria: [
    {
      id: 'commit-flat',
      description: 'Commit P50 with 1,000,000 checkpoints relative to 10,000',
      seed: '—',
      ours: `≤ ${MOST_GROWTH}×`,
      metric: { variant: 'commit-1m', stat: 'p50', ratioTo: 'commit-10k', max: MOST_GROWTH },
    },
    {
      id: 'acquire-flat',
      description: 'Acquisition P50 with 100,000 pending items relative to 1,000',
      seed: '—',
      ours: `≤ ${MOST_GROWTH}×`,
      metric: { variant: 'acquire-100k', stat: 'p50', ratioTo: 'acquire-1k', max: MOST_GROWTH },
    },
  ],
});
