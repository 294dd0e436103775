import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchFile } from '../report/bench-file.js';
import { readBenchFile } from '../report/bench-read.js';
import { BenchMixError, addRounds, benchFileName } from '../report/bench-store.js';
import { writeFileAtomic } from '../report/atomic.js';

/**
 * The benchmark history of a base branch: a folder of one bench file per commit (reportsDir/bench files copied in by
 * `save`), restored in CI before a pull request's benchmarks are gated against it.
 */
export interface HistoryRun {
  path: string;
  file: BenchFile;
}

/** A history file's name: a bench file's (`<commit>.json`), never an export beside it (`<commit>.bmf.json`). */
const BENCH_FILE = /^[0-9a-z]+(-dirty(-[0-9a-f]+)?)?\.json$/i;

/** Every benchmark file in the folder (none when it does not exist), read and validated, oldest first. */
export function readHistory(folder: string): HistoryRun[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => BENCH_FILE.test(name))
    .map((name) => ({ path: join(folder, name), file: readBenchFile(join(folder, name)) }))
    .sort((a, b) => a.file.generatedAt.localeCompare(b.file.generatedAt));
}

/** What makes runs comparable from one CI job to the next: the same CPU model and cores, and the same Node major. */
export function machine(file: BenchFile): string {
  const { cpu, cores, node } = file.environment;
  return `${cpu}, ${cores} cores, Node ${node.split('.')[0] ?? node}`;
}

/**
 * The earlier runs to gate `head` against: the newest `limit` runs of other states of the code, measured on the same
 * kind of machine (a runner of another CPU model is faster or slower for reasons of its own); the rest with why.
 */
export function comparableRuns(
  history: readonly HistoryRun[],
  head: BenchFile,
  limit: number,
): { used: HistoryRun[]; skipped: { path: string; why: string }[] } {
  const skipped: { path: string; why: string }[] = [];
  const candidates = history.filter((run) => {
    if (benchFileName(run.file) === benchFileName(head)) skipped.push({ path: run.path, why: 'the head itself' });
    else if (machine(run.file) !== machine(head)) skipped.push({ path: run.path, why: `ran on ${machine(run.file)}` });
    else return true;
    return false;
  });
  const used = candidates.slice(-limit);
  for (const run of candidates.slice(0, candidates.length - used.length))
    skipped.push({ path: run.path, why: `older than the newest ${limit}` });
  return { used, skipped };
}

/**
 * Adds the head run to the history folder — its rounds to its commit's file, or the file replaced when its rounds may
 * not be mixed (a re-run on another machine) — and removes all but the newest `keep` files. Returns what it did.
 */
export function saveToHistory(folder: string, head: BenchFile, keep: number): { name: string; notes: string[] } {
  const notes: string[] = [];
  let name: string;
  try {
    name = addRounds(folder, head).name;
  } catch (error) {
    if (!(error instanceof BenchMixError)) throw error;
    name = benchFileName(head);
    writeFileAtomic(join(folder, name), `${JSON.stringify(head)}\n`);
    notes.push(`replaced ${name}: ${error.message}`);
  }
  const runs = readHistory(folder);
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) {
    rmSync(old.path);
    notes.push(`removed ${old.path} (keeping the newest ${keep})`);
  }
  return { name, notes };
}
