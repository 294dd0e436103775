import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Chart } from './charts/echarts.js';

/**
 * Replaces the folder with these charts (<id>.svg each): written in full beside it, then swapped in by renames, so a
 * reader sees the old set or the new one and no chart of an earlier run is left behind.
 */
export function writeChartFolder(dir: string, charts: readonly Chart[]): void {
  const fresh = `${dir}.${process.pid}.tmp`;
  const old = `${dir}.${process.pid}.old`;
  rmSync(fresh, { recursive: true, force: true });
  mkdirSync(fresh, { recursive: true });
  for (const chart of charts) writeFileSync(`${fresh}/${chart.id}.svg`, chart.svg);
  rmSync(old, { recursive: true, force: true });
  try {
    renameSync(dir, old);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  renameSync(fresh, dir);
  rmSync(old, { recursive: true, force: true });
}
