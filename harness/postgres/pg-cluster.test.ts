import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../powerloss/wait-dead.js';
import { ThrowawayCluster, serverBinaries } from './pg-cluster.js';

const binaries = serverBinaries();
if ('missing' in binaries) console.warn(`throwaway-cluster test skipped: ${binaries.missing}`);

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one === 1;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe.skipIf('missing' in binaries)('a throwaway PostgreSQL cluster', () => {
  const clusters: ThrowawayCluster[] = [];
  afterEach(async () => {
    for (const c of clusters.splice(0)) await c.stop();
  });

  it('survives a crash of every process and a pause, and leaves no process or folder when stopped', async () => {
    const cluster = await ThrowawayCluster.start(mkdtempSync(join(tmpdir(), 'agentos-chaos-pg-test-')));
    clusters.push(cluster);
    expect(await answers(cluster.url)).toBe(true);

    expect(cluster.crash()).toBeGreaterThan(0);
    await cluster.restart();
    expect(await answers(cluster.url)).toBe(true);

    expect(cluster.signal('SIGSTOP')).toBeGreaterThan(0);
    expect(cluster.signal('SIGCONT')).toBeGreaterThan(0);
    expect(await answers(cluster.url)).toBe(true);

    // Stopped while paused, as a teardown may find it: nothing may be left running.
    cluster.signal('SIGSTOP');
    const running = cluster.processes();
    await cluster.stop();
    clusters.splice(0);
    expect(running.filter(isAlive)).toEqual([]);
    expect(existsSync(cluster.dir)).toBe(false);
  });
});
