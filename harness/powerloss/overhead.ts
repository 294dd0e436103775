import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CheckpointManager,
  openDatabase,
  summarizeLatencies,
  type Durability,
  type LatencySummary,
} from '../../src/index.js';
import { LossyFs } from './lossyfs.js';

export interface OverheadRow {
  where: 'disk' | 'lossyfs';
  durability: Durability;
  latency: LatencySummary;
}

export interface OverheadOptions {
  /** Timed commits per variant and round. */
  commits?: number;
  warmup?: number;
  /** Rounds alternate disk and lossyfs, so drift on a shared machine falls on both. */
  rounds?: number;
}

/**
 * Checkpoint commit latency (one process, one task, CheckpointManager.commit) on the ordinary disk under the temporary
 * folder and on lossyfs mounted over another, for both durabilities: what the file system itself costs the power-loss
 * scenarios.
 */
export async function measureCommitOverhead(options: OverheadOptions = {}): Promise<OverheadRow[]> {
  const { commits = 2000, warmup = 200, rounds = 3 } = options;
  const samples = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const durability of ['normal', 'full'] as const) {
      for (const where of ['disk', 'lossyfs'] as const) {
        const key = `${where} ${durability}`;
        samples.set(key, [...(samples.get(key) ?? []), ...(await commitLatencies(where, durability, commits, warmup))]);
      }
    }
  }
  return [...samples].map(([key, ms]) => {
    const [where, durability] = key.split(' ') as ['disk' | 'lossyfs', Durability];
    return { where, durability, latency: summarizeLatencies(ms) };
  });
}

async function commitLatencies(
  where: 'disk' | 'lossyfs',
  durability: Durability,
  commits: number,
  warmup: number,
): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), `lossyfs-overhead-${where}-`));
  const fs = where === 'lossyfs' ? await LossyFs.mount(dir, dir) : undefined;
  try {
    const db = openDatabase(join(dir, 'agentos.db'), { durability });
    try {
      const cm = new CheckpointManager(db);
      const ms: number[] = [];
      for (let i = 0; i < warmup + commits; i++) {
        const started = performance.now();
        await cm.commit(cm.begin('overhead-task', `step-${i}`, { i, padding: 'x'.repeat(64) }));
        if (i >= warmup) ms.push(performance.now() - started);
      }
      return ms;
    } finally {
      db.close();
    }
  } finally {
    await fs?.unmount();
    rmSync(dir, { recursive: true, force: true });
  }
}
