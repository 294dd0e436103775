import { matchesWhere, type History } from './history.js';
import type { Trigger } from './schema.js';
import type { HistoryEntry } from './workers/protocol.js';

interface Pending {
  label: string;
  kind: string;
  worker: string | undefined;
  where: Record<string, unknown> | undefined;
  target: number;
  seen: number;
  action: () => void;
}

/**
 * Fires actions when events happen: 'start' at once, { after: { kind, worker, count } } on the count-th matching
 * event. A random count range is resolved once, from the run's seeded generator.
 */
export class Triggers {
  readonly #pending: Pending[] = [];
  readonly #fired: string[] = [];
  readonly #history: History;
  readonly #random: () => number;
  readonly #onError: (label: string, error: unknown) => void;
  /** Timed actions not yet fired: each one's label and time. */
  readonly #timers = new Map<NodeJS.Timeout, { label: string; atMs: number }>();

  /** onError receives an action's exception: a failing action is reported, never thrown into an event handler. */
  constructor(
    history: History,
    random: () => number,
    onError: (label: string, error: unknown) => void = () => undefined,
  ) {
    this.#history = history;
    this.#random = random;
    this.#onError = onError;
  }

  #run(label: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      this.#onError(label, error);
    }
  }

  /** Registers an action; returns the resolved event count (so the fault log can say "after the 37th commit"). */
  on(trigger: Trigger, label: string, action: () => void): number {
    if (trigger === 'start') {
      this.#fired.push(label);
      this.#run(label, action);
      return 0;
    }
    if ('atMs' in trigger) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#fired.push(label);
        this.#run(label, action);
        this.onTimerFired?.();
      }, trigger.atMs);
      this.#timers.set(timer, { label, atMs: trigger.atMs });
      return 0;
    }
    const { kind, worker, where, count } = trigger.after;
    const target =
      typeof count === 'number' ? count : count.min + Math.floor(this.#random() * (count.max - count.min + 1));
    this.#pending.push({ label, kind, worker, where, target, seen: 0, action });
    return target;
  }

  /** Counts the entry against every pending trigger and runs those that are due (in declaration order). */
  observe(entry: HistoryEntry): void {
    const due: Pending[] = [];
    for (const p of this.#pending) {
      if (p.kind !== entry.kind || !this.#history.isFrom(entry, p.worker) || !matchesWhere(entry, p.where)) continue;
      p.seen++;
      if (p.seen === p.target) due.push(p);
    }
    for (const p of due) {
      this.#pending.splice(this.#pending.indexOf(p), 1);
      this.#fired.push(p.label);
      this.#run(p.label, p.action);
    }
  }

  /** Labels of actions still waiting for their event. */
  get waiting(): string[] {
    return [
      ...this.#pending.map((p) => `${p.label} (saw ${p.seen}/${p.target} ${p.kind})`),
      ...(this.#timers.size > 0 ? [`${this.#timers.size} timed action(s)`] : []),
    ];
  }

  /**
   * What the action `label` still waits for, in words ('worker.exited of "first" with exitCode 1 (seen 0 of 1)'), or
   * undefined when it is not waiting (it fired, or no such action was registered).
   */
  waitingFor(label: string): string | undefined {
    const p = this.#pending.find((x) => x.label === label);
    if (p) {
      const where = Object.entries(p.where ?? {}).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
      return `${p.kind}${p.worker ? ` of "${p.worker}"` : ''}${where.length > 0 ? ` with ${where.join(', ')}` : ''} (seen ${p.seen} of ${p.target})`;
    }
    const timed = [...this.#timers.values()].find((x) => x.label === label);
    return timed ? `${timed.atMs} ms after the start (the run ended first)` : undefined;
  }

  /** Called after a timed action ran (the runner re-checks whether the scenario is over). */
  onTimerFired: (() => void) | undefined;

  /** Timed actions not yet fired. */
  get timersPending(): number {
    return this.#timers.size;
  }

  /**
   * Cancels every action that has not fired, timed or waiting for an event (at teardown: nothing may fire after a
   * scenario ends; a worker reaped then must not start the group that waited for its exit).
   */
  cancel(): void {
    for (const timer of this.#timers.keys()) clearTimeout(timer);
    this.#timers.clear();
    this.#pending.length = 0;
  }
}
