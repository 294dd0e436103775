import { z } from 'zod';
import { SUBJECT_NAMES } from '../../bench/subjects.js';

/**
 * Parameters of every worker program, validated in the harness when declarations load (so a bad value is reported
 * with its file and key path before anything starts) and passed to the worker already resolved. Workers never load
 * zod: that keeps a worker's start close to a plain `node` start.
 */
export const workloadParams = {
  bench: z.object({
    subject: z.enum(SUBJECT_NAMES),
    durability: z.enum(['normal', 'full']),
    timeMs: z.number().int().positive(),
    warmupMs: z.number().int().nonnegative(),
    iterations: z.number().int().positive(),
    /**
     * 1: time the subject at once, then exit. More: prepare, report bench.prepared, then time one slice of
     * timeMs / slices (at least iterations / slices calls; the warm-up before the first) at each 'go', until 'stop'.
     */
    slices: z.number().int().positive().default(1),
  }),
  'checkpoint-writer': z.object({
    /** '{worker}' is replaced by the worker id. */
    taskId: z.string().min(1).default('task-{worker}'),
    count: z.number().int().positive(),
    stateBytes: z.number().int().nonnegative().default(64),
    /** Wait for the harness's 'go' before the first commit, so all writers start together. */
    waitForGo: z.boolean().default(false),
    /** Record every commit as an operation (invoke, ok, fail) for the history checkers. */
    recordOps: z.boolean().default(false),
    /** Pause between commits, as an agent works between checkpoints (0: back to back). */
    intervalMs: z.number().int().nonnegative().default(0),
    /** How long a commit is retried while the disk is full or the server is unreachable, before the worker fails. */
    patienceMs: z.number().int().positive().default(30_000),
  }),
  'lease-holder': z.object({
    itemId: z.string().min(1),
    /** The task the item belongs to: where the 'checkpoint' command writes (default "<itemId>-task"). */
    taskId: z.string().min(1).optional(),
    leaseDurationMs: z.number().int().positive(),
  }),
  'lease-worker': z.object({
    enqueue: z.number().int().nonnegative().default(0),
    enqueuePrefix: z.string().default('item-'),
    /** Report only the summary, not every acquisition (for runs of 100,000). */
    quiet: z.boolean().default(false),
    leaseDurationMs: z.number().int().positive(),
    maxAttempts: z.number().int().positive(),
    /** Stop after this many acquisitions. */
    maxAcquisitions: z.number().int().positive().optional(),
    /** 'complete' finishes each item; 'keep' holds every lease until the process ends (to let them expire). */
    then: z.enum(['complete', 'release', 'keep']).default('complete'),
    waitForGo: z.boolean().default(false),
  }),
  'llm-cache': z.object({
    prompts: z.number().int().positive(),
    passes: z.number().int().positive().default(2),
    costRounds: z.number().int().nonnegative().default(200),
    model: z.string().default('fake-model-1'),
  }),
  'lock-holder': z.object({ holdMs: z.number().int().positive(), repeat: z.number().int().positive().default(1) }),
  sweeper: z.object({
    createCheckpoints: z.boolean().default(true),
    sweeps: z.number().int().positive().default(1),
  }),
  'task-runner': z.object({
    taskId: z.string().min(1),
    steps: z.number().int().positive(),
    /** CPU work per step (sha256 rounds), so a kill can land mid-task. */
    workRounds: z.number().int().nonnegative().default(2000),
    /** The task lease's length; a runner that is killed holds the task this long (skew the next one's clock past it). */
    leaseDurationMs: z.number().int().positive().default(60_000),
    /** Wait for the harness's 'go' before running (so runners start together, or after a clock skew). */
    waitForGo: z.boolean().default(false),
    /** At the start of this step (1-based), wait for the harness's 'go' (a runner frozen mid-step, holding no lock). */
    waitInStep: z.number().int().positive().optional(),
    /**
     * After this step's side effect (1-based), before the step returns: report step.effect and wait for the harness's
     * 'go'. A kill then strikes a step whose effect is done and which the subject has not recorded.
     */
    waitAfterEffect: z.number().int().positive().optional(),
  }),
  'tool-replay': z.object({
    commands: z.number().int().positive(),
    passes: z.number().int().positive().default(2),
    /** Commands run at once in the first pass. */
    concurrency: z.number().int().positive().default(8),
    /** Each command then sleeps this long (a long-running tool call, e.g. for killing its worker mid-call). */
    sleepSeconds: z.number().int().nonnegative().default(0),
    /** A call left in doubt by a crash: 'fail' the worker (default), or 'count' it in tool.pass and go on. */
    inDoubt: z.enum(['fail', 'count']).default('fail'),
    /** Record every call as an operation (invoke, ok, fail) for the history checkers. */
    recordOps: z.boolean().default(false),
  }),
  'langgraph-agent': z.object({
    /** The checkpointer: AgentosSaver on the run's subject, or LangGraph's SqliteSaver on a file of its own. */
    saver: z.enum(['agentos', 'sqlite']),
    threadId: z.string().min(1).default('agent'),
    /** Notes the agent writes, one tool call each. */
    toolCalls: z.number().int().positive(),
    /** CPU work of the fake LLM per call (sha256 rounds), so a kill can land inside it. */
    thinkRounds: z.number().int().nonnegative().default(2000),
  }),
} as const;

export type WorkloadName = keyof typeof workloadParams;
export const WORKLOAD_NAMES = Object.keys(workloadParams) as [WorkloadName, ...WorkloadName[]];
export type WorkloadParams<K extends WorkloadName> = z.output<(typeof workloadParams)[K]>;
