import { z } from 'zod';
import { ALERT_NAMES } from '../src/alerts.js';
import { SUBJECT_NAMES as BENCH_SUBJECT_NAMES } from './bench/subjects.js';
import { CAPABILITIES, LAYER_CAPABILITIES } from './subject.js';
import { CRASH_POINTS } from '../src/crash-points.js';
import { EVENT_KINDS } from './workers/protocol.js';
import { WORKLOAD_NAMES, workloadParams } from './workers/workloads/params.js';

/** Which events a trigger waits for. count may be a number or a seeded random range. */
/** An event kind from harness/workers/protocol.ts: a typo is a load error naming the file and key path. */
const eventKind = z.enum(EVENT_KINDS, {
  error: (issue) => `unknown event kind ${JSON.stringify(issue.input)}; the kinds are ${EVENT_KINDS.join(', ')}`,
});

const eventMatch = z
  .object({
    kind: eventKind,
    /** A worker group name, a worker id (group-N), or 'harness' for the harness's own events. */
    worker: z.string().min(1).optional(),
    /** Fields the event must have with these exact values. */
    where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    count: z
      .union([
        z.number().int().positive(),
        z.object({ min: z.number().int().positive(), max: z.number().int().positive() }),
      ])
      .default(1),
  })
  .strict();

const afterTrigger = z.object({ after: eventMatch }).strict();
/** A fixed point in time after the scenario starts, in ms (a nemesis schedule, not a wait for something). */
const atTrigger = z.object({ atMs: z.number().int().nonnegative().max(600_000) }).strict();

export const triggerSchema = z.union([z.literal('start'), afterTrigger, atTrigger], {
  error: (issue) => triggerProblem(issue.input),
});

/**
 * What is wrong with a trigger that matches none of its forms (zod's own message says only "Invalid input"): the
 * first problem of the form its key names, or the forms.
 */
function triggerProblem(input: unknown): string {
  const form =
    input !== null && typeof input === 'object'
      ? 'after' in input
        ? afterTrigger
        : 'atMs' in input
          ? atTrigger
          : undefined
      : undefined;
  const first = form?.safeParse(input).error?.issues[0];
  if (first) return `${first.path.length > 0 ? `${first.path.join('.')}: ` : ''}${first.message}`;
  return `expected 'start', { after: { kind, worker?, where?, count? } } or { atMs: <ms> }, got ${JSON.stringify(input)}`;
}

const workerGroup = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lowercase name like "writer" or "lease-holder"'),
    workload: z.enum(WORKLOAD_NAMES),
    count: z.number().int().positive().max(500).default(1),
    params: z.record(z.string(), z.unknown()).default({}),
    durability: z.enum(['normal', 'full']).default('normal'),
    start: triggerSchema.default('start'),
  })
  .strict()
  // The workload's own parameter schema, so a bad parameter is reported at load with its key path.
  .transform((group, ctx) => {
    const parsed = workloadParams[group.workload].safeParse(group.params);
    if (parsed.success) return { ...group, params: parsed.data as Record<string, unknown> };
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['params', ...issue.path] } as never);
    return z.NEVER;
  });

/**
 * z.discriminatedUnion whose error for a missing or unknown tag lists the valid tags (zod's own says only
 * "Invalid input").
 */
function taggedUnion<const Options extends readonly [z.ZodObject, ...z.ZodObject[]]>(key: string, options: Options) {
  const valid = options.flatMap((o) => {
    const tag: unknown = o.shape[key];
    if (!(tag instanceof z.ZodLiteral)) throw new Error(`taggedUnion: every option needs a z.literal "${key}"`);
    return [...tag.values].map((v) => JSON.stringify(v));
  });
  return z.discriminatedUnion(key, options, {
    // JSON.stringify of a missing tag is undefined (its type says otherwise): said as "nothing".
    error: (issue) =>
      `expected one of ${valid.join(' | ')}, got ${(JSON.stringify((issue.input as Record<string, unknown> | undefined)?.[key]) as string | undefined) ?? 'nothing'}`,
  });
}

const faultBase = { target: z.string().min(1), inject: triggerSchema };
export const faultSchema = taggedUnion('kind', [
  z.object({ kind: z.literal('sigkill'), ...faultBase, which: z.enum(['all', 'random']).default('all') }).strict(),
  z
    .object({
      kind: z.literal('lock-contention'),
      inject: triggerSchema,
      /** Not a worker group: a separate process takes the lock. Kept for the fault log. */
      target: z.string().default('database'),
      holdMs: z.number().int().positive().max(30_000),
      repeat: z.number().int().positive().max(100).default(1),
    })
    .strict(),
  z.object({ kind: z.literal('clock-skew'), ...faultBase, offsetMs: z.number().int() }).strict(),
  z
    .object({
      kind: z.literal('lease-expiry'),
      /** The group (or worker) whose leases end now, as if their time had run out. */
      ...faultBase,
      /**
       * The group (or worker) that must see them ended where each process's clock decides expiry (SQLite): its clock is
       * moved past them. On a server, expiry is the server's, and they end for everyone.
       */
      seenBy: z.string().min(1).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('pause'), ...faultBase, heal: triggerSchema.optional() }).strict(),
  z
    .object({
      kind: z.literal('crash-point'),
      target: z.string().min(1),
      /** A named moment in the layer (src/crash-points.ts) where the target's workers die with SIGKILL. */
      point: z.enum(CRASH_POINTS),
      /** At the at-th time a worker passes it. */
      at: z.number().int().positive().default(1),
      /** Armed when the target's workers start; the trigger only marks it in the fault log. */
      inject: triggerSchema.default('start'),
    })
    .strict(),
  z.object({ kind: z.literal('backup'), target: z.string().default('database'), inject: triggerSchema }).strict(),
  z
    .object({
      kind: z.literal('pg-crash'),
      /** The subject's server: a throwaway cluster started for the run, so crashing it harms nobody. */
      target: z.string().default('server'),
      inject: triggerSchema,
      /** How long the server stays down before it is started again (it then replays its WAL). */
      downMs: z.number().int().nonnegative().max(60_000).default(500),
      /** crash: SIGKILL every server process, then restart; pause: SIGSTOP them all (every connection hangs), then SIGCONT. */
      mode: z.enum(['crash', 'pause']).default('crash'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('network'),
      /** The group (or worker) whose connections to the database server go through a proxy the fault controls. */
      ...faultBase,
      /** blackhole: bytes are held, neither delivered nor refused (a partition); reset: every connection gets RST; latency: each chunk is delayed. */
      mode: z.enum(['blackhole', 'reset', 'latency']),
      latencyMs: z.number().int().positive().max(10_000).default(100),
      heal: triggerSchema.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('pg-terminate'),
      /** The group (or worker) whose server connections are ended with pg_terminate_backend. */
      ...faultBase,
    })
    .strict(),
  z
    .object({
      kind: z.literal('disk-full'),
      target: z.string().default('database'),
      inject: triggerSchema,
      heal: triggerSchema.optional(),
      /** Size of the run folder's own file system, filled to the last byte on inject. */
      sizeMb: z.number().int().positive().max(1024).default(64),
    })
    .strict(),
  z
    .object({
      kind: z.literal('power-loss'),
      /** A group on the machine that loses power; every live worker of the run dies with it (they share its disk). */
      ...faultBase,
      /** Keep this many bytes of the last unsynced write: a write torn at that boundary (512 for a sector). */
      tear: z.number().int().nonnegative().optional(),
    })
    .strict(),
]);

const commandSchema = z
  .object({
    to: z.string().min(1),
    send: taggedUnion('cmd', [
      z.object({ cmd: z.literal('renew') }),
      z.object({ cmd: z.literal('complete') }),
      z.object({ cmd: z.literal('checkpoint') }),
      z.object({ cmd: z.literal('tool') }),
      z.object({ cmd: z.literal('go') }),
      z.object({ cmd: z.literal('sweep') }),
      z.object({ cmd: z.literal('stop') }),
    ]),
    on: triggerSchema,
  })
  .strict();

const num = z.number();
export const checkSchema = taggedUnion('check', [
  z.object({ check: z.literal('acknowledged-checkpoints-present') }).strict(),
  z.object({ check: z.literal('last-checkpoint-is-latest-acknowledged'), taskId: z.string() }).strict(),
  z.object({ check: z.literal('integrity-ok') }).strict(),
  z
    .object({
      check: z.literal('sequence-gap-free'),
      taskId: z.string().optional(),
      taskIdPrefix: z.string().optional(),
      expected: num.int().optional(),
    })
    .strict(),
  z.object({ check: z.literal('no-worker-errors'), allowKilled: z.boolean().default(true) }).strict(),
  z
    .object({
      check: z.literal('event-count'),
      kind: eventKind,
      worker: z.string().optional(),
      where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
      equals: num.optional(),
      min: num.optional(),
      max: num.optional(),
    })
    .strict(),
  z
    .object({
      check: z.literal('event-field'),
      kind: eventKind,
      worker: z.string().optional(),
      where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
      field: z.string(),
      /** How to combine the field over matching events. */
      aggregate: z.enum(['sum', 'max', 'min', 'last']).default('sum'),
      equals: num.optional(),
      min: num.optional(),
      max: num.optional(),
      unit: z.string().default(''),
    })
    .strict(),
  z
    .object({
      check: z.literal('field-less-than'),
      kind: eventKind,
      field: z.string(),
      lessThanField: z.string(),
      where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
    })
    .strict(),
  z.object({ check: z.literal('takeover-fenced'), holder: z.string(), taker: z.string() }).strict(),
  z.object({ check: z.literal('task-status'), taskId: z.string(), status: z.enum(['succeeded', 'failed']) }).strict(),
  z.object({ check: z.literal('committed-steps-not-rerun'), taskId: z.string() }).strict(),
  z.object({ check: z.literal('side-effects-exactly-once'), dir: z.string(), files: num.int().positive() }).strict(),
  z
    .object({ check: z.literal('work-items'), status: z.enum(['pending', 'leased', 'completed']), equals: num.int() })
    .strict(),
  z
    .object({
      check: z.literal('latency'),
      kind: eventKind,
      field: z.string(),
      percentile: num.min(1).max(100),
      maxMs: num.positive(),
    })
    .strict(),
  z.object({ check: z.literal('no-overlapping-leases') }).strict(),
  z.object({ check: z.literal('no-stale-epoch-writes') }).strict(),
  z.object({ check: z.literal('operations-durable') }).strict(),
  z.object({ check: z.literal('effects-at-most-once'), dir: z.string().default('effects') }).strict(),
  z.object({ check: z.literal('backup-consistent') }).strict(),
  z.object({ check: z.literal('every-worker-acquired'), worker: z.string() }).strict(),
  z
    .object({
      check: z.literal('commit-throughput'),
      worker: z.string().optional(),
      minPerSec: num.positive().optional(),
    })
    .strict(),
  z
    .object({
      check: z.literal('commit-latency'),
      worker: z.string().optional(),
      percentile: num.min(1).max(100),
      maxMs: num.positive(),
    })
    .strict(),
  z.object({ check: z.literal('tail-ratio'), worker: z.string().optional(), max: num.positive() }).strict(),
  z.object({ check: z.literal('acquisition-fairness'), worker: z.string(), minJain: num.min(0).max(1) }).strict(),
  z
    .object({
      check: z.literal('wall-time'),
      from: eventKind,
      /** Fields the `from` event must have (e.g. { to: 'busy' } for one phase's release). */
      where: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
      /** Whose exits end the interval (a group); default every worker. */
      worker: z.string().optional(),
      maxMs: num.positive(),
    })
    .strict(),
  z
    .object({
      check: z.literal('time-to-resume'),
      /** The fault whose injection starts the clock (e.g. 'sigkill'). */
      fault: z.enum(faultSchema.options.map((o) => o.shape.kind.value)),
      /** The group (or worker) whose first step.started after it stops the clock. */
      resumer: z.string().min(1),
      maxMs: num.positive(),
    })
    .strict(),
  z.object({ check: z.literal('peak-worker-rss'), maxMb: num.positive() }).strict(),
  /** What each power loss lost of the acknowledged commits: only a tail, never corrupt; at most maxLost if given. */
  z.object({ check: z.literal('power-loss-tail'), maxLost: num.int().nonnegative().optional() }).strict(),
]);

const alertName = z.enum(ALERT_NAMES);

/** What every criterion says: the seed's target and ours, side by side in the report. */
const criterionHeader = {
  id: z.string().regex(/^[a-z0-9-]+$/, 'a lowercase id like "all-acknowledged-present"'),
  description: z.string().min(1),
  /** The seed's threshold, in its words ("90+ checkpoints (90%)"), or "—" where it has none. */
  seed: z.string().min(1),
  /** Ours, stated the same way. */
  ours: z.string().min(1),
  /**
   * The production alert(s) of src/alerts.ts this criterion's measurement feeds in the report's readiness table (for a
   * benchmark criterion: the summary of the variant it judges). One name or a list; resolved to a list.
   */
  alert: z
    .union([alertName, z.array(alertName).min(1)], {
      error: (issue) =>
        `unknown alert ${JSON.stringify(issue.input)}; expected one of ${ALERT_NAMES.join(', ')}, or a list of them`,
    })
    .transform((a) => (typeof a === 'string' ? [a] : a))
    .optional(),
};

export const criterionSchema = z
  .object({
    ...criterionHeader,
    check: checkSchema,
    /**
     * 'gate' (default): failing it fails the run — correctness. 'target': a performance goal, reported as met or
     * missed but never failing the run (timing on a shared machine is not a correctness signal).
     */
    kind: z.enum(['gate', 'target']).default('gate'),
  })
  .strict();

/** What every declared test says about itself. */
const declarationHeader = {
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a lowercase id like "kill9-recovery"'),
  title: z.string().min(1),
  purpose: z.string().min(1),
  /** The seed test this answers to, e.g. "TestScenario1_Kill9Recovery::test_kill_9_recovery". */
  seedTest: z.string().min(1),
  procedure: z.array(z.string().min(1)).min(1),
};

export const scenarioSchema = z
  .object({
    ...declarationHeader,
    workers: z.array(workerGroup).min(1),
    faults: z.array(faultSchema).default([]),
    commands: z.array(commandSchema).default([]),
    criteria: z.array(criterionSchema).min(1),
    timeoutMs: z.number().int().positive().default(60_000),
    /**
     * What a subject must offer to run this scenario (see harness/subjects/subject.ts). The default, this layer's
     * services, runs it on both agentos subjects; a scenario whose workers only commit checkpoints can say
     * ['checkpoints'] and run on every subject. A fault that needs more (a power loss needs `sqlite-file`) makes the
     * scenario not applicable where it is missing, whatever is declared here.
     */
    requires: z
      .array(z.enum(CAPABILITIES))
      .min(1)
      .default(() => [...LAYER_CAPABILITIES]),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ResolvedScenario = z.output<typeof scenarioSchema>;
export type Trigger = z.output<typeof triggerSchema>;
export type EventMatch = z.output<typeof eventMatch>;
export type Fault = z.output<typeof faultSchema>;
export type FaultKind = Fault['kind'];
export type CheckSpec = z.output<typeof checkSchema>;
export type Criterion = z.output<typeof criterionSchema>;
export type WorkerGroup = z.output<typeof workerGroup>;
export type ScenarioCommand = z.output<typeof commandSchema>;

const stat = z.enum(['mean', 'p50', 'p95', 'p99', 'max']);

/** A benchmark criterion: a statistic of one variant under a bound, or its ratio to another variant's. */
const benchCriterionSchema = z
  .object({
    ...criterionHeader,
    metric: z.union([
      z.object({ variant: z.string(), stat, maxMs: z.number().positive() }).strict(),
      z.object({ variant: z.string(), stat, ratioTo: z.string(), max: z.number().positive() }).strict(),
    ]),
    /** Our latency goals are 'target' (reported, not failing the run); the seed's generous bounds gate. */
    kind: z.enum(['gate', 'target']).default('target'),
  })
  .strict();

export const benchmarkSchema = z
  .object({
    ...declarationHeader,
    /** Each variant runs the subject in a fresh worker process. */
    variants: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9-]+$/),
            subject: z.enum(BENCH_SUBJECT_NAMES),
            durability: z.enum(['normal', 'full']).default('normal'),
            /** A peer implementation measured for comparison, not the system under test. */
            peer: z.boolean().default(false),
          })
          .strict(),
      )
      .min(1),
    timeMs: z.number().int().positive().default(700),
    warmupMs: z.number().int().nonnegative().default(150),
    iterations: z.number().int().positive().default(1000),
    criteria: z.array(benchCriterionSchema).min(1),
    timeoutMs: z.number().int().positive().default(60_000),
    /**
     * Whether the variants whose subjects can idle are timed in alternating slices, their processes alive together
     * (false: each alone, one after another, e.g. when their processes are too big to coexist).
     */
    interleave: z.boolean().default(true),
  })
  .strict();

export type BenchmarkInput = z.input<typeof benchmarkSchema>;
export type ResolvedBenchmark = z.output<typeof benchmarkSchema>;
export type BenchCriterion = z.output<typeof benchCriterionSchema>;
