import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { History } from '../history.js';
import { reportsDir } from '../project.js';

/** Where a declared test's history goes: <runsDir>/<id>/history.jsonl (runsDir defaults to reports/runs). */
export function historyPath(id: string, runsDir = join(reportsDir(), 'runs')): string {
  return join(runsDir, id, 'history.jsonl');
}

/** Writes a run's history as JSON lines, one event each, and returns the file's path. */
export function persistHistory(id: string, history: History, runsDir?: string): string {
  const file = historyPath(id, runsDir);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, history.toJsonl());
  return file;
}
