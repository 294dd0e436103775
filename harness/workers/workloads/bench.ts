import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { subjects } from '../../bench/subjects.js';
import { SUBJECT_VARIABLE, type SubjectConfig } from '../../subject.js';
import { defineWorkload } from '../workload.js';

/** Times one subject with tinybench in this fresh process and reports the retained samples (ms). */
export const bench = defineWorkload<'bench'>({
  async run({ runDir, channel }, params) {
    const dir = mkdtempSync(join(runDir, `${params.subject}-${params.durability}-`));
    const { pgUrl, schema = 'agentos_bench' } = JSON.parse(
      process.env[SUBJECT_VARIABLE] ?? '{}',
    ) as Partial<SubjectConfig>;
    const subject = await subjects[params.subject]({ dir, durability: params.durability, pgUrl, schema });
    try {
      const b = new Bench({
        time: params.timeMs,
        warmupTime: params.warmupMs,
        iterations: params.iterations,
        retainSamples: true,
        throws: true,
      });
      b.add(params.subject, subject.run);
      await b.run();
      const result = b.tasks[0]?.result;
      if (!result || !('latency' in result) || !result.latency.samples)
        throw new Error(`tinybench returned no samples for ${params.subject}`);
      channel.emit({
        kind: 'bench.samples',
        subject: params.subject,
        durability: params.durability,
        samples: [...result.latency.samples],
      });
      return { samples: result.latency.samplesCount };
    } finally {
      await subject.teardown();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
