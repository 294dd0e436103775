import type { Statement } from 'better-sqlite3';
import { CheckpointManager, type Checkpoint } from './checkpoints.js';
import type { AgentDatabase } from './db.js';
import { CheckpointVerificationError, TaskError } from './errors.js';
import type { EvidencePack } from './evidence.js';
import { assertId } from './validate.js';

export interface StepContext {
  taskId: string;
  stepIndex: number;
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

export type TaskStatus = 'running' | 'succeeded' | 'failed';

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

/** Runs a task's steps in order, checkpointing each; a re-run resumes after the last verified checkpoint. */
export class TaskRunner<S> {
  readonly #db: AgentDatabase;
  readonly #checkpoints: CheckpointManager;
  readonly #definition: TaskDefinition<S>;
  readonly #hooks: TaskRunnerHooks<S>;
  readonly #status: Statement;
  readonly #setStatus: Statement;

  constructor(db: AgentDatabase, checkpoints: CheckpointManager, definition: TaskDefinition<S>, hooks: TaskRunnerHooks<S> = {}) {
    const names = new Set<string>();
    for (const step of definition.steps) {
      assertId('step name', step.name);
      if (names.has(step.name)) throw new TaskError(`step name "${step.name}" appears twice; step names must be unique`);
      names.add(step.name);
    }
    if (names.size === 0) throw new TaskError('a task needs at least one step');
    this.#db = db;
    this.#checkpoints = checkpoints;
    this.#definition = definition;
    this.#hooks = hooks;
    this.#status = db.sqlite.prepare('SELECT status, error FROM tasks WHERE id = ?');
    this.#setStatus = db.sqlite.prepare(`
      INSERT INTO tasks (id, status, error, created_at, updated_at) VALUES (@id, @status, @error, @now, @now)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, error = excluded.error, updated_at = excluded.updated_at`);
  }

  status(taskId: string): { status: TaskStatus; error: string | null } | null {
    return (this.#status.get(taskId) as { status: TaskStatus; error: string | null } | undefined) ?? null;
  }

  /**
   * Runs the task to a terminal state. A task with checkpoints resumes after the last one, which is verified first;
   * a committed step is never executed again. A task already terminal is returned as it is.
   */
  async run(taskId: string): Promise<TaskRunResult<S>> {
    assertId('taskId', taskId);
    const steps = this.#definition.steps;
    const last = this.#checkpoints.getLast<S>(taskId);
    const previous = this.status(taskId);
    if (previous && previous.status !== 'running') {
      return this.#result(taskId, previous.status, last?.state ?? this.#definition.initialState, null, [], previous.error);
    }
    let state = this.#definition.initialState;
    let next = 0;
    const resumedAfter = last?.step ?? null;
    const executed: string[] = [];
    if (last) {
      const index = steps.findIndex((s) => s.name === last.step);
      if (index < 0) throw new TaskError(`task "${taskId}" has a checkpoint for step "${last.step}", which its definition does not contain`);
      const verification = last.verified ? null : this.#checkpoints.verify(last.id);
      if (verification && !verification.ok) {
        return this.#fail(taskId, last.state, resumedAfter, executed, new CheckpointVerificationError(last.id, failuresOf(verification)));
      }
      state = last.state;
      next = index + 1;
    }
    this.#writeStatus({ id: taskId, status: 'running', error: null, now: this.#db.clock.now() });

    for (let i = next; i < steps.length; i++) {
      const step = steps[i] as TaskStep<S>;
      const context: StepContext = { taskId, stepIndex: i };
      try {
        state = await step.run(state, context);
        const pending = this.#checkpoints.begin(taskId, step.name, state);
        const checkpoint = this.#checkpoints.commit<S>(pending, step.evidence?.(state, context));
        executed.push(step.name);
        if (!checkpoint.verified && checkpoint.verification) {
          throw new CheckpointVerificationError(checkpoint.id, failuresOf(checkpoint.verification));
        }
        this.#hooks.onStepFinished?.(step.name, checkpoint);
      } catch (error) {
        return this.#fail(taskId, state, resumedAfter, executed, error, step.name);
      }
    }
    this.#writeStatus({ id: taskId, status: 'succeeded', error: null, now: this.#db.clock.now() });
    return this.#result(taskId, 'succeeded', state, resumedAfter, executed, null);
  }

  #writeStatus(row: { id: string; status: TaskStatus; error: string | null; now: number }): void {
    this.#db.writeTransaction(() => this.#setStatus.run(row));
  }

  #fail(taskId: string, state: S, resumedAfter: string | null, executed: string[], error: unknown, step?: string): TaskRunResult<S> {
    const message = `${step ? `step "${step}": ` : ''}${error instanceof Error ? error.message : String(error)}`;
    this.#writeStatus({ id: taskId, status: 'failed', error: message, now: this.#db.clock.now() });
    return this.#result(taskId, 'failed', state, resumedAfter, executed, message);
  }

  #result(taskId: string, status: 'succeeded' | 'failed', state: S, resumedAfter: string | null, executed: string[], error: string | null): TaskRunResult<S> {
    return { taskId, status, state, resumedAfter, executed, error };
  }
}

function failuresOf(v: { failures: { index: number; kind: string; reason?: string }[] }): { index: number; kind: string; reason: string }[] {
  return v.failures.map((f) => ({ index: f.index, kind: f.kind, reason: f.reason ?? 'failed' }));
}
