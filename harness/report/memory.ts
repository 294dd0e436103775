import type { ResultsFile } from './results-file.js';

export interface MemoryRow {
  what: string;
  target: string;
  peak: string;
  /** null: not measured. */
  met: boolean | null;
}

// Issue 23: the harness of a full `pnpm chaos` within 150 MB (it was judged against the seed's 250 MB).
const HARNESS_LIMIT_MB = 150;
const WORKER_LIMIT_MB = 80;

/** Peak memory of the harness process and of the largest of our workers, against the seed's targets. */
export function memoryRows(file: ResultsFile): MemoryRow[] {
  const harnessMb = file.harnessPeakRssKb === null ? null : file.harnessPeakRssKb / 1024;
  // Our workers only: a benchmark's peer variant runs another library's code.
  const ours = file.results.flatMap((r) =>
    r.workers
      .filter((w) => r.category !== 'bench' || !r.measurements.some((m) => m.peer && m.variant === w.id))
      .map((w) => ({ r: r.id, w })),
  );
  const workerKb = Math.max(0, ...ours.map((x) => x.w.peakRssKb ?? 0));
  const largest = ours.find((x) => x.w.peakRssKb === workerKb);
  return [
    {
      what: 'Harness process (runs every declared test)',
      target: `≤ ${HARNESS_LIMIT_MB} MB`,
      peak: harnessMb === null ? 'n/a' : `${harnessMb.toFixed(1)} MB`,
      met: harnessMb === null ? null : harnessMb <= HARNESS_LIMIT_MB,
    },
    {
      what: `Largest worker${largest ? ` (${largest.r}/${largest.w.id})` : ''}; the peer library's benchmark variants not counted${floors(file)}`,
      target: `≤ ${WORKER_LIMIT_MB} MB`,
      peak: `${(workerKb / 1024).toFixed(1)} MB`,
      met: workerKb / 1024 <= WORKER_LIMIT_MB,
    },
  ];
}

/** The floors measured in the run, as a clause of the worker row. */
function floors(file: ResultsFile): string {
  const { node, langgraphCheckpoint } = file.workerFloorsKb ?? { node: null, langgraphCheckpoint: null };
  const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
  const parts = [
    ...(node === null ? [] : [`a worker’s bare node ${mb(node)}`]),
    ...(langgraphCheckpoint === null
      ? []
      : [`node with LangGraph’s checkpoint library loaded (every saver worker loads it) ${mb(langgraphCheckpoint)}`]),
  ];
  return parts.length === 0 ? '' : `. Floors on this machine: ${parts.join('; ')}`;
}

export function memoryMark(row: MemoryRow): string {
  return row.met === null ? '· not measured' : row.met ? '✅ target met' : '⚠️ target missed';
}
