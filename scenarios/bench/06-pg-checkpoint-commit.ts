import { defineBenchmark } from '../../harness/define.js';

export default defineBenchmark({
  id: 'pg-checkpoint-commit',
  title: 'Checkpoint commit on PostgreSQL',
  purpose:
    'How long a durable checkpoint commit takes on PostgreSQL, against the floor (a one-row INSERT) and LangGraph’s PostgresSaver.put on the same server; and AgentosSaver.put (the layer as a LangGraph checkpointer) beside PostgresSaver.put.',
  seedTest: '—',
  procedure: [
    'Each variant runs in a fresh process, on a fresh schema of the run’s server, with the server’s synchronous_commit (on by default): every commit waits for its WAL flush.',
    'tinybench times, for 1.5 s after a 300 ms warm-up (a server round trip is noisier than an embedded call): a one-row INSERT of the state through pg (prepared); CheckpointManager begin + commit on PostgreSQL; the same commit fenced by a held lease; PostgresSaver.put of a checkpoint holding the same state; AgentosSaver.put of that checkpoint (a fenced write under the thread’s lease, the changed channel stored once).',
    'Tables are fresh for every variant (autovacuum is off on these servers, so nothing is vacuumed in between).',
  ],
  variants: [
    { name: 'insert', subject: 'pg-insert' },
    { name: 'commit', subject: 'pg-checkpoint-commit' },
    { name: 'commit-fenced', subject: 'pg-checkpoint-commit-fenced' },
    { name: 'postgressaver', subject: 'postgressaver-put', peer: true },
    { name: 'agentos-saver', subject: 'pg-agentos-saver-put' },
  ],
  timeMs: 1500,
  warmupMs: 300,
  criteria: [
    {
      id: 'seed-average',
      description: 'Average commit',
      seed: '< 10 ms',
      ours: '< 10 ms',
      metric: { variant: 'commit', stat: 'mean', maxMs: 10 },
      kind: 'gate',
    },
    {
      id: 'vs-insert',
      description: 'Commit P50 relative to a one-row INSERT',
      seed: '—',
      ours: '≤ 1.2×',
      metric: { variant: 'commit', stat: 'p50', ratioTo: 'insert', max: 1.2 },
    },
    {
      id: 'fenced-vs-insert',
      description: 'Fenced commit P50 relative to a one-row INSERT',
      seed: '—',
      ours: '≤ 1.2×',
      metric: { variant: 'commit-fenced', stat: 'p50', ratioTo: 'insert', max: 1.2 },
    },
    {
      id: 'vs-peer',
      description: 'Commit P50 relative to PostgresSaver.put',
      seed: '—',
      ours: '≤ 0.6×',
      metric: { variant: 'commit', stat: 'p50', ratioTo: 'postgressaver', max: 0.6 },
    },
    {
      id: 'saver-vs-peer',
      description: 'AgentosSaver.put P50 relative to PostgresSaver.put',
      seed: '—',
      ours: '≤ 1.0×',
      metric: { variant: 'agentos-saver', stat: 'p50', ratioTo: 'postgressaver', max: 1.0 },
    },
  ],
});
