import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { subjects } from '../../bench/subjects.js';
import { SUBJECT_VARIABLE, type SubjectConfig } from '../../subject.js';
import type { WorkerChannel } from '../channel.js';
import { defineWorkload } from '../workload.js';
import type { WorkloadParams } from './params.js';

type Params = WorkloadParams<'bench'>;

/**
 * Times one subject with tinybench in this fresh process and reports the retained samples (ms): at once, or in
 * slices at the harness's command, so that it can alternate them with other variants' processes.
 */
export const bench = defineWorkload<'bench'>({
  async run({ runDir, channel }, params) {
    const dir = mkdtempSync(join(runDir, `${params.subject}-${params.durability}-`));
    const { pgUrl, schema = 'agentos_bench' } = JSON.parse(
      process.env[SUBJECT_VARIABLE] ?? '{}',
    ) as Partial<SubjectConfig>;
    const subject = await subjects[params.subject]({
      dir,
      durability: params.durability,
      pgUrl,
      schema,
      fixturesDir: join(runDir, 'fixtures'),
    });
    try {
      const samples =
        params.slices === 1
          ? await time(params.subject, subject.run, params.timeMs, params.iterations, params.warmupMs)
          : await timeSlices(channel, subject.run, params);
      channel.emit({ kind: 'bench.samples', subject: params.subject, durability: params.durability, samples });
      return { samples: samples.length };
    } finally {
      await subject.teardown();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});

/** One slice per 'go', until 'stop': the samples of all slices, in order. */
async function timeSlices(channel: WorkerChannel, run: () => unknown, params: Params): Promise<number[]> {
  channel.emit({ kind: 'bench.prepared' });
  const samples: number[] = [];
  for (let slice = 1; ; slice++) {
    const command = await channel.nextCommand();
    // Ascending, as tinybench reports one run's samples (and the harness keeps every step-th of them).
    if (command.cmd === 'stop') return samples.sort((a, b) => a - b);
    if (command.cmd !== 'go') throw new Error(`a sliced bench worker takes 'go' or 'stop', got '${command.cmd}'`);
    const timed = await time(
      params.subject,
      run,
      params.timeMs / params.slices,
      Math.ceil(params.iterations / params.slices),
      slice === 1 ? params.warmupMs : undefined,
    );
    for (const s of timed) samples.push(s);
    channel.emit({ kind: 'bench.slice', slice, samples: timed.length });
  }
}

/**
 * tinybench's samples of `run` for timeMs and at least `iterations` calls, after warmupMs of warm-up (none when
 * undefined).
 */
export async function time(
  name: string,
  run: () => unknown,
  timeMs: number,
  iterations: number,
  warmupMs: number | undefined,
): Promise<number[]> {
  const b = new Bench({
    time: timeMs,
    // The warm-up is the declared time (with at least one call): tinybench's default of 16 calls besides cost a
    // variant whose call takes 0.5 s (120 PostgreSQL jobs) 8 s.
    ...(warmupMs === undefined ? { warmup: false } : { warmupTime: warmupMs, warmupIterations: 1 }),
    iterations,
    retainSamples: true,
    throws: true,
  });
  b.add(name, run);
  await b.run();
  const result = b.tasks[0]?.result;
  if (!result || !('latency' in result) || !result.latency.samples)
    throw new Error(`tinybench returned no samples for ${name}`);
  return [...result.latency.samples];
}
