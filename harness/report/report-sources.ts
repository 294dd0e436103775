import { resultKey } from '../result.js';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from '../result.js';
import type { HistoryEntry } from '../workers/protocol.js';
import { roundMedian, type BenchFile } from './bench-file.js';
import { readBenchFile } from './bench-read.js';
import type { BenchRun } from './charts/trend.js';
import type { ResultsFile } from './results-file.js';

/** What the report reads beside the results: each test's history and the benchmark files of earlier commits. */
export interface ReportSources {
  histories: ReadonlyMap<string, readonly HistoryEntry[]>;
  benchRuns: readonly BenchRun[];
}

/** A history file's events; none when it is missing or unreadable (the report says less, it does not fail). */
export function readHistory(path: string): HistoryEntry[] {
  if (!existsSync(path)) return [];
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as HistoryEntry);
  } catch {
    return [];
  }
}

function benchRun(file: Pick<BenchFile, 'commit' | 'generatedAt' | 'benchmarks'>): BenchRun {
  return {
    commit: file.commit,
    generatedAt: file.generatedAt,
    benchmarks: file.benchmarks.flatMap((b) =>
      roundMedian(b, 'p50') === null ? [] : [{ id: b.id, p50: roundMedian(b, 'p50')! }],
    ),
  };
}

/** The bench files in reportsDir/bench (exports and invalid files skipped), with this run's benchmarks as its commit's. */
function benchRuns(file: ResultsFile, reportsDir: string): BenchRun[] {
  const dir = join(reportsDir, 'bench');
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => /^[0-9a-z-]+\.json$/i.test(n)) : [];
  const runs = names.flatMap((name) => {
    try {
      return [benchRun(readBenchFile(join(dir, name)))];
    } catch {
      return [];
    }
  });
  const bench = file.results.filter((r): r is BenchResult => r.category === 'bench');
  if (bench.length === 0) return runs;
  const current: BenchRun = {
    commit: file.environment.commit,
    generatedAt: file.generatedAt,
    benchmarks: bench.flatMap((r) =>
      r.measurements.flatMap((m) =>
        m.summary.p50 === null ? [] : [{ id: `${r.id}/${m.variant}`, p50: m.summary.p50 }],
      ),
    ),
  };
  return [...runs.filter((r) => r.commit !== current.commit), current];
}

/** Reads every test's history (reports/runs/<id>/history.jsonl) and the benchmark files in reports/bench/. */
export function loadReportSources(file: ResultsFile, reportsDir: string): ReportSources {
  const histories = new Map(
    file.results.map(
      (r) =>
        [
          resultKey(r),
          readHistory(r.category === 'bench' ? join(reportsDir, 'runs', r.id, 'history.jsonl') : r.historyFile),
        ] as const,
    ),
  );
  return { histories, benchRuns: benchRuns(file, reportsDir) };
}
