import { join } from 'node:path';
import type { LoadedScenario } from '../load.js';
import type { BenchResult } from '../result.js';
import { writeFileAtomic } from './atomic.js';
import { mergeRounds, toBenchFile, toBmf, toGithubActionBenchmark, type BenchFile } from './bench-file.js';
import { addRounds, benchFileName } from './bench-store.js';
import { writeChartFolder } from './chart-folder.js';
import { renderHtml } from './html.js';
import { renderReport } from './markdown.js';
import { reportFiles } from './partial-run.js';
import { loadReportSources } from './report-sources.js';
import type { ResultsFile } from './results-file.js';

/** What a reporter gets: the run's results and where reports go. It returns the files it wrote (relative to reportsDir). */
export interface ReportContext {
  file: ResultsFile;
  reportsDir: string;
  /** Every loaded declaration (the readiness table reads which alert each criterion feeds from them). */
  declared: readonly LoadedScenario[];
  /** The benchmarks' further rounds (`--rounds n`: n − 1 of them); the results hold the first. */
  moreBenchRounds?: readonly (readonly BenchResult[])[];
}

export type Reporter = (context: ReportContext) => string[];

/** Writes `content` to reportsDir/name atomically: an interrupted run never leaves half a report. */
function write(context: ReportContext, name: string, content: string): string[] {
  writeFileAtomic(join(context.reportsDir, name), content);
  return [name];
}

/** Every round of benchmarks this run measured as one versioned bench file, or null when none ran. */
function benchFile(context: ReportContext): BenchFile | null {
  const first = context.file.results.filter((r): r is BenchResult => r.category === 'bench');
  if (first.length === 0) return null;
  return mergeRounds(
    [first, ...(context.moreBenchRounds ?? [])].map((round) =>
      toBenchFile(
        [...round],
        context.file.environment,
        (id) => round.find((r) => r.id === id)?.options ?? { timeMs: 0, warmupMs: 0, iterations: 0 },
        context.file.generatedAt,
      ),
    ),
  );
}

/** This run's rounds in another format, beside the bench file: reports/bench/<commit>.<format>.json. */
function benchExport(name: string, convert: (bench: BenchFile) => unknown): Reporter {
  return (context) => {
    const bench = benchFile(context);
    return bench
      ? write(
          context,
          `bench/${benchFileName(bench).replace(/\.json$/, '')}.${name}.json`,
          `${JSON.stringify(convert(bench), null, 2)}\n`,
        )
      : [];
  };
}

/** Reporters by name: `pnpm chaos --format <name>` is a lookup here, and a new format is one entry. */
export const reporters = {
  /**
   * reports/acceptance.md with its charts in reports/charts/ and the same report as one page, reports/acceptance.html
   * (partial.md, partial-charts/ and partial.html for a partial run). Charts first: the reports never link a missing one.
   */
  markdown: (context) => {
    const files = reportFiles(context.file.selection);
    const sources = loadReportSources(context.file, context.reportsDir);
    const { markdown, charts } = renderReport(context.file, context.declared, sources, files.charts);
    writeChartFolder(join(context.reportsDir, files.charts), charts);
    // The report first: the run's last lines name the first file written as the report.
    return [
      ...write(context, files.report, markdown),
      ...write(context, files.html, renderHtml(markdown, charts, files.charts)),
      ...(charts.length > 0 ? [`${files.charts}/`] : []),
    ];
  },
  /** reports/results.json (reports/partial-results.json for a partial run): every result, machine-readable. */
  json: (context) =>
    write(context, reportFiles(context.file.selection).results, `${JSON.stringify(context.file, null, 2)}\n`),
  /**
   * reports/bench/<commit>.json (<commit>-dirty-<diff>.json for uncommitted changes): this run's rounds added to the
   * earlier ones of the same code; compared across commits by bench:compare.
   */
  bench: (context) => {
    const bench = benchFile(context);
    return bench ? [`bench/${addRounds(join(context.reportsDir, 'bench'), bench).name}`] : [];
  },
  /** Bencher's metric format. */
  bmf: benchExport('bmf', toBmf),
  /** github-action-benchmark's "customSmallerIsBetter" format. */
  'github-action-benchmark': benchExport('github-action-benchmark', toGithubActionBenchmark),
} satisfies Record<string, Reporter>;

export type ReporterName = keyof typeof reporters;
export const REPORTER_NAMES = Object.keys(reporters) as ReporterName[];
/** What every run writes; --format adds to these. */
export const DEFAULT_REPORTERS: readonly ReporterName[] = ['markdown', 'json', 'bench'];
