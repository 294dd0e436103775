import { defineBenchmark } from '../../harness/define.js';
import { GROWTH_PROCEDURE, growthCriteria, growthVariants } from '../../harness/bench/growth-benchmark.js';

const pair = { ours: 'agentos-pg', peer: 'postgressaver', peerLabel: 'PostgresSaver' } as const;

export default defineBenchmark({
  id: 'pg-saver-thread-growth',
  title: 'AgentosSaver on a growing thread (PostgreSQL)',
  purpose:
    'Whether loading, listing and saving a thread’s checkpoints on PostgreSQL stays as fast on a long thread as on a short one, and against LangGraph’s PostgresSaver on the same server.',
  seedTest: '—',
  procedure: [
    ...GROWTH_PROCEDURE,
    'Each saver’s thread of each size is in a fresh schema of the run’s server, with its synchronous_commit (on by default); the filled tables are analysed, as autovacuum would have after such growth (it is off on these servers).',
  ],
  variants: growthVariants(pair),
  timeMs: 250,
  warmupMs: 50,
  iterations: 25,
  criteria: growthCriteria(pair),
});
