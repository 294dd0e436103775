import type { ResultsFile } from './results-file.js';

/** The files a run's report and results go to, relative to the reports folder. */
export interface ReportFiles {
  /** The Markdown report, linking its charts in `charts`. */
  report: string;
  /** The same report as one self-contained page, charts inline. */
  html: string;
  /** The folder of the report's charts, one SVG each. */
  charts: string;
  results: string;
}

/** What a full run writes: the acceptance report with its charts, and the results .ci/run counts. */
export const FULL_RUN_FILES: ReportFiles = {
  report: 'acceptance.md',
  html: 'acceptance.html',
  charts: 'charts',
  results: 'results.json',
};
/** What a partial run writes instead, so that it never replaces the last full run's. */
export const PARTIAL_RUN_FILES: ReportFiles = {
  report: 'partial.md',
  html: 'partial.html',
  charts: 'partial-charts',
  results: 'partial-results.json',
};

/**
 * Why a run is partial ("--only kill9-recovery"), or undefined for a full run: every declared test, on whichever
 * subjects were named (a project testing its own runtime names only its own). A subset of the tests or the campaign
 * alone is partial.
 */
export function partialRun(selection: ResultsFile['selection']): string | undefined {
  const why = [
    selection.only ? `--only ${selection.only.join(',')}` : '',
    selection.category ? `--category ${selection.category}` : '',
    selection.campaignOnly ? 'the fault campaign alone' : '',
  ].filter(Boolean);
  return why.length > 0 ? why.join('; ') : undefined;
}

/** Where this run's report and results go. */
export function reportFiles(selection: ResultsFile['selection']): ReportFiles {
  return partialRun(selection) === undefined ? FULL_RUN_FILES : PARTIAL_RUN_FILES;
}
