/** Events a worker streams to the harness, one JSON line each on stdout. */
export type WorkerEvent =
  | { kind: 'worker.ready'; pid: number }
  | { kind: 'worker.done'; summary: Record<string, number> }
  | { kind: 'worker.error'; message: string }
  | { kind: 'clock.skewed'; offsetMs: number }
  /** `seq` only from subjects that number checkpoints; `id` is the subject's own (a LangGraph checkpoint id is a string). */
  | { kind: 'checkpoint.committed'; taskId: string; seq?: number; id: number | string; latencyMs: number }
  /** `at` (monotonicMs after the acquisition returned) and the release's `at` (before it was called) bound a hold interval from inside. */
  | { kind: 'lease.acquired'; itemId: string; epoch: number; expiresAt: number; at?: number }
  | { kind: 'lease.renewed'; itemId: string; epoch: number; expiresAt: number }
  | { kind: 'lease.completed'; itemId: string; epoch: number; at?: number }
  | { kind: 'lease.released'; itemId: string; epoch: number; at?: number }
  | { kind: 'lease.lost'; itemId: string; epoch: number; operation: string; message: string }
  | { kind: 'lease.none' }
  | {
      kind: 'cache.pass';
      pass: number;
      hits: number;
      misses: number;
      hitLatencyP50Ms: number | null;
      generateLatencyP50Ms: number | null;
    }
  | {
      kind: 'cache.summary';
      hits: number;
      misses: number;
      hitRatePercent: number;
      hitLatencyP50Ms: number | null;
      generateLatencyP50Ms: number | null;
    }
  | { kind: 'tool.pass'; pass: number; executed: number; replayed: number; mismatches: number; inDoubt: number }
  /** A batch of tool calls was handed to the ledger (their 'started' rows are written): a moment to crash in. */
  | { kind: 'tool.batch'; pass: number; batch: number; calls: number }
  /** A command the worker handled, and whether the layer accepted or refused it (a lease no longer held). */
  | { kind: 'command.done'; cmd: string; outcome: 'ok' | 'refused' }
  | { kind: 'task.busy'; taskId: string; holder: string | null }
  /**
   * An operation's history, Jepsen style: invoke, then ok or fail (a fail changed nothing); an invoke without either
   * is 'info' (the process died: outcome unknown). `token` identifies what the operation wrote (a checkpoint's
   * state carries it; a tool call's command names it), so a checker can find it in the final state.
   */
  | { kind: 'op.invoke'; op: 'checkpoint' | 'tool'; n: number; token: string; taskId?: string }
  | { kind: 'op.ok'; op: 'checkpoint' | 'tool'; n: number; token: string; seq?: number; id?: number | string }
  | { kind: 'op.fail'; op: 'checkpoint' | 'tool'; n: number; token: string; error: string }
  | { kind: 'sweep.finished'; expiredFound: number; recovered: number; errors: number; durationMs: number }
  | { kind: 'bench.samples'; subject: string; durability: string; samples: number[] }
  /** A sliced bench worker is ready to time its first slice (its subject is prepared), and idles until 'go'. */
  | { kind: 'bench.prepared' }
  /** A sliced bench worker timed slice `slice` (1-based), `samples` calls, and idles until the next 'go' or 'stop'. */
  | { kind: 'bench.slice'; slice: number; samples: number }
  | { kind: 'step.started'; taskId: string; step: string }
  /** A step made its side effect and waits, not yet returned (task-runner's waitAfterEffect). */
  | { kind: 'step.effect'; taskId: string; step: string }
  | { kind: 'step.finished'; taskId: string; step: string; seq: number; id: number | string }
  | {
      kind: 'task.finished';
      taskId: string;
      status: string;
      executed: string[];
      skipped: number;
      resumedAfter: string | null;
    };

/** Events the harness itself records: process lifecycle, faults and commands. */
export type HarnessEvent =
  | { kind: 'worker.started'; pid: number; group: string }
  | { kind: 'worker.exited'; exitCode: number | null; signal: string | null; peakRssKb: number | null }
  | { kind: 'worker.stderr'; text: string }
  /** The harness is about to SIGKILL a worker still alive at teardown, and why (a timeout, an interruption). */
  | { kind: 'worker.reaped'; reason: string }
  | { kind: 'fault.injected'; fault: string; target: string; detail: string; affected: number }
  | { kind: 'fault.healed'; fault: string; target: string; detail: string }
  | { kind: 'command.sent'; to: string; cmd: string }
  | { kind: 'lock.held'; holdMs: number; round: number }
  | { kind: 'lock.released'; round: number };

export type AnyEvent = WorkerEvent | HarnessEvent;
export type EventKind = AnyEvent['kind'];

// Every event kind once, so declarations are checked against them when they load (a kind missing here, or one that
// no event has, is a compile error).
const EVENT_KIND_SET: Record<EventKind, true> = {
  'worker.ready': true,
  'worker.done': true,
  'worker.error': true,
  'clock.skewed': true,
  'checkpoint.committed': true,
  'lease.acquired': true,
  'lease.renewed': true,
  'lease.completed': true,
  'lease.released': true,
  'lease.lost': true,
  'lease.none': true,
  'cache.pass': true,
  'cache.summary': true,
  'tool.pass': true,
  'tool.batch': true,
  'command.done': true,
  'task.busy': true,
  'op.invoke': true,
  'op.ok': true,
  'op.fail': true,
  'sweep.finished': true,
  'bench.samples': true,
  'bench.prepared': true,
  'bench.slice': true,
  'step.started': true,
  'step.effect': true,
  'step.finished': true,
  'task.finished': true,
  'worker.started': true,
  'worker.exited': true,
  'worker.stderr': true,
  'worker.reaped': true,
  'fault.injected': true,
  'fault.healed': true,
  'command.sent': true,
  'lock.held': true,
  'lock.released': true,
};
export const EVENT_KINDS = Object.keys(EVENT_KIND_SET) as [EventKind, ...EventKind[]];

/** A history entry: an event stamped with the time the harness received it and the worker it concerns. */
export type HistoryEntry = AnyEvent & { t: number; worker: string };

/** Commands the harness sends a worker, one JSON line each on stdin. */
export type WorkerCommand =
  | { cmd: 'skew'; ms: number }
  /** Move the worker's clock just past `t` (ms since the epoch), unless it is already. */
  | { cmd: 'skew-past'; t: number }
  | { cmd: 'renew' }
  | { cmd: 'complete' }
  | { cmd: 'checkpoint' }
  | { cmd: 'tool' }
  | { cmd: 'go' }
  | { cmd: 'sweep' }
  | { cmd: 'stop' };
