import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useTempDb } from '../test/helpers/temp-db.js';
import { CheckpointManager, LLMOutputCache, LatencyWindow, LeaseManager, Metrics, RecoverySweep } from './index.js';

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('Metrics', () => {
  const tempDb = useTempDb();

  it('collects the seed’s monitoring list from components sharing one Metrics', async () => {
    const { db, clock } = tempDb();
    const metrics = new Metrics();
    const cm = new CheckpointManager(db, { metrics });
    const leases = new LeaseManager(db, { workerId: 'w', leaseDurationMs: 10, metrics });
    const cache = new LLMOutputCache(db, { metrics });
    for (let i = 0; i < 3; i++) await cm.commit(cm.begin('t', `s${i}`, {}));
    await leases.enqueue([{ id: 'a' }, { id: 'b' }]);
    await leases.acquire();
    await leases.acquire();
    clock.advance(10);
    await new RecoverySweep(db, { metrics }).scanAndRecover();
    await cache.get({ model: 'm', prompt: 'p' });
    await cache.put({ model: 'm', prompt: 'p' }, 'x');
    await cache.get({ model: 'm', prompt: 'p' });
    const snap = metrics.snapshot();
    expect(snap.counters).toMatchObject({
      checkpointsCommitted: 3,
      leaseAcquisitions: 2,
      leaseExpirations: 2,
      sweeps: 1,
      cacheHits: 1,
      cacheMisses: 1,
    });
    expect(snap.checkpointCommitLatencyMs.count).toBe(3);
    expect(snap.checkpointCommitLatencyMs.p99).toBeGreaterThan(0);
    expect(snap.leaseExpirationRate).toBe(1);
    expect(snap.cacheHitRate).toBe(0.5);
    expect(snap.sweepDurationMs.count).toBe(1);
    expect(snap.toolReplayRate).toBeNull();
  });

  it('exports every counter and latency window in the Prometheus text format, in seconds', async () => {
    const metrics = new Metrics();
    metrics.increment('checkpointsCommitted', 3);
    metrics.increment('cacheMisses');
    [1, 3, 2].forEach((ms) => metrics.checkpointCommitLatency.record(ms));
    const text = metrics.toPrometheus();
    expect(text).toContain(
      '# TYPE agentos_checkpoints_committed_total counter\nagentos_checkpoints_committed_total 3\n',
    );
    expect(text).toContain('agentos_llm_cache_misses_total 1\n');
    expect(text).toContain(
      [
        '# TYPE agentos_checkpoint_commit_duration_seconds summary',
        'agentos_checkpoint_commit_duration_seconds{quantile="0.5"} 0.002',
        'agentos_checkpoint_commit_duration_seconds{quantile="0.95"} 0.003',
        'agentos_checkpoint_commit_duration_seconds{quantile="0.99"} 0.003',
        'agentos_checkpoint_commit_duration_seconds_sum 0.006',
        'agentos_checkpoint_commit_duration_seconds_count 3',
      ].join('\n'),
    );
    // No sweep yet: quantiles are NaN (as Prometheus clients write an empty summary) and the last-sweep gauge has no sample.
    expect(text).toContain('agentos_recovery_sweep_duration_seconds{quantile="0.5"} NaN\n');
    expect(text).toMatch(/# TYPE agentos_recovery_sweep_last_duration_seconds gauge\n$/);
    const families = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
    expect(families).toHaveLength(new Set(families).size);
    expect(families.every((name) => name?.startsWith('agentos_'))).toBe(true);
    expect(families.filter((name) => name?.endsWith('_total'))).toHaveLength(
      Object.keys(metrics.snapshot().counters).length,
    );
  });

  it.skipIf(!promtool)('writes text that `promtool check metrics` accepts without lint warnings', () => {
    const metrics = new Metrics();
    metrics.increment('leaseAcquisitions', 2);
    metrics.checkpointCommitLatency.record(0.4);
    metrics.sweepDuration.record(12);
    const check = spawnSync('promtool', ['check', 'metrics'], {
      input: metrics.toPrometheus(),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });
});

describe('LatencyWindow', () => {
  it('keeps percentiles over the most recent samples and totals over all of them', async () => {
    const window = new LatencyWindow(4);
    expect(window.latest).toBeNull();
    for (let ms = 1; ms <= 10; ms++) window.record(ms);
    expect(window.summary()).toMatchObject({ count: 10, n: 4, p50: 8, max: 10, mean: 8.5 });
    expect(window.sum).toBe(55);
    expect(window.latest).toBe(10);
  });
});
