import { performance } from 'node:perf_hooks';

/** Wall-clock milliseconds with sub-millisecond resolution, without reading Date: the time a history entry is stamped with. */
export function wallTimeMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Milliseconds on the system-wide monotonic clock: comparable between processes on one machine (unlike
 * timeOrigin + now(), whose origin is sampled per process), for ordering events of different workers.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
