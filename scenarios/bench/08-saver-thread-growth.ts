import { defineBenchmark } from '../../harness/define.js';
import { GROWTH_PROCEDURE, growthCriteria, growthVariants } from '../../harness/bench/growth-benchmark.js';

const pair = { ours: 'agentos-sqlite', peer: 'sqlitesaver', peerLabel: 'SqliteSaver' } as const;

export default defineBenchmark({
  id: 'saver-thread-growth',
  title: 'AgentosSaver on a growing thread (SQLite)',
  purpose:
    'Whether loading, listing and saving a thread’s checkpoints stays as fast on a long thread as on a short one, and against LangGraph’s SqliteSaver under the same pragmas.',
  seedTest: '—',
  procedure: [...GROWTH_PROCEDURE, 'SqliteSaver runs under the layer’s pragmas (WAL, synchronous=NORMAL, …).'],
  variants: growthVariants(pair),
  timeMs: 250,
  warmupMs: 50,
  iterations: 25,
  criteria: growthCriteria(pair),
});
