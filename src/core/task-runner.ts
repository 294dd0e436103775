import { crashPoint } from '../crash-points.js';
import { CheckpointVerificationError, LeaseLostError, TaskBusyError, TaskError } from '../errors.js';
import type { EvidencePack } from '../evidence.js';
import type { AgentStore, TaskStatus, TaskStore } from '../store.js';
import { assertId, assertPositiveInt, assertPrefixedId } from '../validate.js';
import type { Checkpoint, CheckpointManager } from './checkpoints.js';
import { idempotencyKey, occurrenceOf } from './idempotency-key.js';
import {
  LeaseManager,
  OWNERSHIP_PREFIXES,
  defaultWorkerId,
  ensureOwnershipItem,
  renewIntervalFor,
  type Lease,
} from './leases.js';
import { RECOVERY_TASK_PREFIX, assertNotRecoveryTask } from './recovery.js';

export interface StepContext {
  taskId: string;
  stepIndex: number;
  /**
   * The same on every run of this step of this task, in any process, under any release that keeps the step's name:
   * pass it to external APIs that accept an idempotency key, so a step re-run after a crash (its side effect done,
   * its checkpoint not) is not applied twice. See idempotencyKey for what changes it.
   */
  idempotencyKey: string;
  /** The task's lease: pass it to writes made inside the step (e.g. ToolLedger.run's `lease`) to fence them too. */
  lease: Lease<unknown>;
}

/** One named step: takes the state left by the previous step and returns the next. */
export interface TaskStep<S> {
  name: string;
  run(state: S, context: StepContext): S | Promise<S>;
  /** Evidence that the step did its work; verified before the step counts as done. */
  evidence?(state: S, context: StepContext): EvidencePack;
}

export interface TaskDefinition<S> {
  steps: readonly TaskStep<S>[];
  initialState: S;
}

export type { TaskStatus };

export interface TaskRunResult<S> {
  taskId: string;
  status: Exclude<TaskStatus, 'running'>;
  state: S;
  /** Name of the step whose checkpoint this run resumed after, or null for a fresh start. */
  resumedAfter: string | null;
  executed: string[];
  error: string | null;
}

export interface TaskRunnerHooks<S> {
  onStepFinished?(step: string, checkpoint: Checkpoint<S>): void;
}

export interface TaskRunnerOptions<S> extends TaskRunnerHooks<S> {
  /** Who this runner is in lease records and errors (default: host, pid and a random suffix). */
  workerId?: string;
  /**
   * Length of the task's lease in ms (default 60,000). A runner that dies holds the task this long at most; on the
   * same machine (pid space) the next runner takes the task over from a dead one at once.
   */
  leaseDurationMs?: number;
  /** How often the lease is renewed while a step runs (default a third of the lease). It is also renewed before each step. */
  renewIntervalMs?: number;
  /** When another runner holds the task: 'throw' TaskBusyError (default) or 'wait' for it, up to waitTimeoutMs. */
  onBusy?: 'throw' | 'wait';
  /** Longest wait with onBusy 'wait' (default twice the lease); then TaskBusyError. */
  waitTimeoutMs?: number;
}

/** Prefix of the work items that carry task leases ("task:<task id>"). */
export const TASK_LEASE_PREFIX = OWNERSHIP_PREFIXES[0];

/**
 * Runs a task's steps in order, checkpointing each; a re-run resumes after the last verified checkpoint. A task has
 * one owner at a time: run() takes the task's lease first and every write it makes is fenced by that lease. On
 * either store; `checkpoints` (on the same store) verifies step evidence under its baseDir.
 */
export class TaskRunner<S> {
  readonly workerId: string;
  readonly #checkpoints: CheckpointManager;
  readonly #leases: LeaseManager;
  readonly #tasks: TaskStore;
  readonly #store: AgentStore;
  readonly #storeLabel: string;
  /** The database's idempotency salt, read once. */
  #salt: string | undefined;
  readonly #definition: TaskDefinition<S>;
  readonly #options: TaskRunnerOptions<S>;
  readonly #renewIntervalMs: number;

  constructor(
    db: AgentStore,
    checkpoints: CheckpointManager,
    definition: TaskDefinition<S>,
    options: TaskRunnerOptions<S> = {},
  ) {
    const names = new Set<string>();
    for (const step of definition.steps) {
      assertId('step name', step.name);
      if (names.has(step.name))
        throw new TaskError(`step name "${step.name}" appears twice; step names must be unique`);
      names.add(step.name);
    }
    if (names.size === 0) throw new TaskError('a task needs at least one step');
    const leaseDurationMs = options.leaseDurationMs ?? 60_000;
    assertPositiveInt('leaseDurationMs', leaseDurationMs);
    this.#renewIntervalMs = renewIntervalFor(leaseDurationMs, options.renewIntervalMs);
    if (options.waitTimeoutMs !== undefined) assertPositiveInt('waitTimeoutMs', options.waitTimeoutMs);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a caller may be untyped JavaScript
    if (options.onBusy !== undefined && options.onBusy !== 'throw' && options.onBusy !== 'wait') {
      throw new TaskError(`onBusy must be 'throw' or 'wait', got ${JSON.stringify(options.onBusy)}`);
    }
    this.workerId = options.workerId ?? defaultWorkerId();
    this.#checkpoints = checkpoints;
    this.#leases = new LeaseManager(db, { workerId: this.workerId, leaseDurationMs, metrics: checkpoints.metrics });
    this.#tasks = db.taskStore;
    this.#store = db;
    this.#storeLabel = db.label;
    this.#definition = definition;
    this.#options = options;
  }

  /**
   * Runs the task to a terminal state. A task with checkpoints resumes after the last one, which is verified first;
   * a committed step is never executed again. A task already terminal is returned as it is. Another runner holding
   * the task gives TaskBusyError (or a wait, with onBusy 'wait'); losing the lease mid-run (another runner took it
   * over after it expired) stops the run with LeaseLostError before its next step.
   */
  async run(taskId: string): Promise<TaskRunResult<S>> {
    // Its longest form: the sweep's record of its lease, "lease-recovery:task:<taskId>".
    assertPrefixedId('taskId', taskId, `${RECOVERY_TASK_PREFIX}${TASK_LEASE_PREFIX}`);
    assertNotRecoveryTask('taskId', taskId);
    const done = await this.#terminal(taskId);
    if (done) return done;
    // Read before the lease is taken: a database without its salt leaves no task held.
    const salt = await this.#idempotencySalt();
    const acquired = await this.#acquire(taskId);
    if ('result' in acquired) return acquired.result;
    let lease = acquired.lease;
    let lost: LeaseLostError | undefined;
    // One renewal at a time: a caller during a renewal shares it (on a slow link, ticks do not pile up connections,
    // and an older reply never overwrites a newer lease).
    let renewing: Promise<void> | undefined;
    const renewOnce = async (): Promise<void> => {
      if (lost !== undefined) throw lost;
      try {
        lease = await this.#leases.renew(lease);
      } catch (error) {
        // A lost lease stops the run; a server briefly out of reach does not (the next renewal may succeed).
        if (error instanceof LeaseLostError) lost = error;
        throw error;
      }
    };
    const renew = (): Promise<void> => (renewing ??= renewOnce().finally(() => (renewing = undefined)));
    const timer = setInterval(() => void renew().catch(() => undefined), this.#renewIntervalMs);
    timer.unref();
    try {
      return await this.#runSteps(taskId, salt, () => lease, renew);
    } finally {
      clearInterval(timer);
      // No renewal outlives the run.
      await renewing?.catch(() => undefined);
    }
  }

  async #runSteps(
    taskId: string,
    salt: string,
    lease: () => Lease<unknown>,
    renew: () => Promise<void>,
  ): Promise<TaskRunResult<S>> {
    const checkpoints = this.#checkpoints;
    const steps = this.#definition.steps;
    const last = await checkpoints.getLast<S>(taskId);
    let state = this.#definition.initialState;
    let next = 0;
    const resumedAfter = last?.step ?? null;
    const executed: string[] = [];
    if (last) {
      const index = steps.findIndex((s) => s.name === last.step);
      if (index < 0)
        throw new TaskError(
          `task "${taskId}" has a checkpoint for step "${last.step}", which its definition does not contain`,
        );
      const verification = last.verified ? null : await checkpoints.verify(last.id);
      if (verification && !verification.ok) {
        return this.#fail(
          taskId,
          lease(),
          last.state,
          resumedAfter,
          executed,
          new CheckpointVerificationError(last.id, failuresOf(verification)),
        );
      }
      state = last.state;
      next = index + 1;
    }
    await this.#tasks.writeStatus(taskId, lease(), 'running', null);

    for (let i = next; i < steps.length; i++) {
      const step = steps[i]!;
      // Still the owner? Checked (and the lease extended) before every step's side effects.
      await renew();
      const context: StepContext = {
        taskId,
        stepIndex: i,
        idempotencyKey: idempotencyKey({ salt, taskId, stepName: step.name, occurrence: occurrenceOf(steps, i) }),
        lease: lease(),
      };
      try {
        state = await step.run(state, context);
        crashPoint('task.after-step');
        const pending = checkpoints.begin(taskId, step.name, state);
        const checkpoint = await checkpoints.commit<S>(pending, step.evidence?.(state, context), { lease: lease() });
        executed.push(step.name);
        if (!checkpoint.verified && checkpoint.verification) {
          throw new CheckpointVerificationError(checkpoint.id, failuresOf(checkpoint.verification));
        }
        this.#options.onStepFinished?.(step.name, checkpoint);
      } catch (error) {
        // A runner that lost the task leaves it to its new owner: it records nothing more.
        if (error instanceof LeaseLostError) throw error;
        return this.#fail(taskId, lease(), state, resumedAfter, executed, error, step.name);
      }
    }
    await this.#finish(taskId, lease(), 'succeeded', null);
    return { taskId, status: 'succeeded', state, resumedAfter, executed, error: null };
  }

  async #idempotencySalt(): Promise<string> {
    this.#salt ??= await this.#tasks.idempotencySalt();
    if (this.#salt === undefined)
      throw new TaskError(`${this.#storeLabel} has no idempotency salt: its idempotency_salt row was deleted`);
    return this.#salt;
  }

  /** The stored result of a task that has ended, or null. */
  async #terminal(taskId: string): Promise<TaskRunResult<S> | null> {
    const previous = await this.#tasks.status(taskId);
    if (!previous || previous.status === 'running') return null;
    const last = await this.#checkpoints.getLast<S>(taskId);
    return {
      taskId,
      status: previous.status,
      state: last?.state ?? this.#definition.initialState,
      resumedAfter: null,
      executed: [],
      error: previous.error,
    };
  }

  /** Takes the task's lease (creating its work item on first run), waiting if asked to. */
  async #acquire(taskId: string): Promise<{ lease: Lease<unknown> } | { result: TaskRunResult<S> }> {
    const leases = this.#leases;
    const itemId = `${TASK_LEASE_PREFIX}${taskId}`;
    await ensureOwnershipItem(this.#store, itemId, taskId);
    const deadline = performance.now() + (this.#options.waitTimeoutMs ?? 2 * leases.leaseDurationMs);
    for (;;) {
      const lease = await leases.acquire(itemId);
      if (lease) return { lease };
      // The holder may have just finished the task.
      const done = await this.#terminal(taskId);
      if (done) return { result: done };
      const item = await leases.get(itemId);
      const busy = new TaskBusyError(taskId, item?.leaseHolder ?? null, item?.leaseExpiresAt ?? null);
      const left = deadline - performance.now();
      if (this.#options.onBusy !== 'wait' || left <= 0) throw busy;
      // Polling: the holder's lease ends by its own completion or by expiry, neither of which signals this process.
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, 50, this.#renewIntervalMs)));
    }
  }

  async #fail(
    taskId: string,
    lease: Lease<unknown>,
    state: S,
    resumedAfter: string | null,
    executed: string[],
    error: unknown,
    step?: string,
  ): Promise<TaskRunResult<S>> {
    const message = `${step ? `step "${step}": ` : ''}${error instanceof Error ? error.message : String(error)}`;
    await this.#finish(taskId, lease, 'failed', message);
    return { taskId, status: 'failed', state, resumedAfter, executed, error: message };
  }
  /** The task's stored status, or null when it never ran. */
  async status(taskId: string): Promise<{ status: TaskStatus; error: string | null } | null> {
    return (await this.#tasks.status(taskId)) ?? null;
  }

  /** The terminal status and the end of the task's lease, together. */
  async #finish(taskId: string, lease: Lease<unknown>, status: 'succeeded' | 'failed', error: string | null) {
    await this.#tasks.finish(taskId, lease, status, error, JSON.stringify({ status }));
  }
}

function failuresOf(v: {
  failures: { index: number; kind: string; reason?: string }[];
}): { index: number; kind: string; reason: string }[] {
  return v.failures.map((f) => ({ index: f.index, kind: f.kind, reason: f.reason ?? 'failed' }));
}
