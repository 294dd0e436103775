import {
  GROWTH_OPS,
  GROWTH_SIZES,
  growthSubjectName,
  type GrowthOp,
  type GrowthSaverKind,
  type GrowthSize,
} from './thread-growth.js';

const OP_LABELS: Record<GrowthOp, string> = {
  'by-id': 'getTuple by id',
  latest: 'getTuple latest',
  list: 'list (limit 10)',
  put: 'put',
};
const SIZES = Object.keys(GROWTH_SIZES) as GrowthSize[];
/** The slope guard: P50 on the largest size relative to the smallest (AgentosSaver’s thread, PostgreSQL’s tables). */
export const MOST_GROWTH = 1.5;

/** What a thread-growth benchmark compares: AgentosSaver on one store, against LangGraph's saver of that store. */
export interface GrowthPair {
  ours: GrowthSaverKind;
  peer: GrowthSaverKind;
  /** How the report names the peer, e.g. SqliteSaver. */
  peerLabel: string;
}

const variantName = (who: string, op: GrowthOp, size: GrowthSize): string => `${who}-${op}-${size}`;

/** Every operation at every size, AgentosSaver's variant beside the peer's. */
export function growthVariants({ ours, peer }: GrowthPair) {
  return SIZES.flatMap((size) =>
    GROWTH_OPS.flatMap((op) => [
      { name: variantName('agentos', op, size), subject: growthSubjectName(ours, op, size) },
      { name: variantName(peer, op, size), subject: growthSubjectName(peer, op, size), peer: true },
    ]),
  );
}

/**
 * Per operation and size, AgentosSaver's P50 against the peer's (≤ 1.0×); per operation, AgentosSaver's P50 on the
 * largest thread against the smallest (≤ 1.5×), so a cost that grows with the thread shows as a missed target.
 */
export function growthCriteria({ peer, peerLabel }: GrowthPair) {
  const smallest = SIZES[0]!;
  const largest = SIZES.at(-1)!;
  const vsPeer = SIZES.flatMap((size) =>
    GROWTH_OPS.map((op) => ({
      id: `${op}-${size}-vs-peer`,
      description: `${OP_LABELS[op]}, thread of ${size} checkpoints: AgentosSaver P50 relative to ${peerLabel}`,
      seed: '—',
      ours: '≤ 1.0×',
      metric: {
        variant: variantName('agentos', op, size),
        stat: 'p50' as const,
        ratioTo: variantName(peer, op, size),
        max: 1.0,
      },
    })),
  );
  const flat = GROWTH_OPS.map((op) => ({
    id: `${op}-flat`,
    description: `${OP_LABELS[op]}: AgentosSaver P50 on a thread of ${largest} checkpoints relative to ${smallest}`,
    seed: '—',
    ours: `≤ ${MOST_GROWTH}×`,
    metric: {
      variant: variantName('agentos', op, largest),
      stat: 'p50' as const,
      ratioTo: variantName('agentos', op, smallest),
      max: MOST_GROWTH,
    },
  }));
  return [...vsPeer, ...flat];
}

/** How a thread-growth benchmark fills and times its threads, for its procedure. */
export const GROWTH_PROCEDURE = [
  `Each variant runs in a fresh process on a thread pre-filled with ${SIZES.join(', ')} checkpoints, one channel ("state", the benchmarks’ state) changed at each step.`,
  'Both savers are filled the same way: step 0 through the saver’s own put; steps 1 … n−1 as copies of the rows that put wrote, by one INSERT … SELECT per table into the saver’s own tables, each with its step’s checkpoint id, parent and channel version (inside the stored checkpoint too), so each row is what its put would have written. 100,000 puts would take minutes; the copies about a second.',
  'On SQLite each saver’s thread is filled once per size, in a closed database file; each variant opens a copy of that file of its own (the thread given back by the filling saver, so that the put variant’s saver takes it at its first put). On PostgreSQL each saver’s thread is filled once per size, in the schema of the first of its variants, and the others of that size read and write the same thread (the put variant adds its few hundred checkpoints to a thread of thousands, which the reads cannot tell).',
  'tinybench times one operation per variant for 250 ms (at least 25 calls) after a 50 ms warm-up: getTuple of a checkpoint spread over the whole history (every call checks the id it got), getTuple of the latest, list with limit 10 (checks it got 10), and put of the next step (parent: the previous checkpoint).',
];
