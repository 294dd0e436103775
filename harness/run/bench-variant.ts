import { join } from 'node:path';
import type { History } from '../history.js';
import { PG_BENCH_SUBJECTS } from '../bench/subjects.js';
import { dropSchema, freshSchemaName } from '../postgres/pg-server.js';
import type { ResolvedBenchmark } from '../schema.js';
import { SUBJECT_VARIABLE } from '../subject.js';
import type { EventKind, WorkerCommand } from '../workers/protocol.js';
import type { Supervisor, WorkerProcess } from '../workers/supervisor.js';

export type Variant = ResolvedBenchmark['variants'][number];

export interface VariantSetup {
  benchmark: ResolvedBenchmark;
  supervisor: Supervisor;
  history: History;
  runDir: string;
  postgres: { url: string | undefined } | undefined;
}

/** One variant's worker process (on a schema of its own for PostgreSQL): started, waited on, and accounted for. */
export class BenchVariant {
  readonly variant: Variant;
  readonly #setup: VariantSetup;
  readonly #worker: WorkerProcess;
  readonly #schema: string | undefined;
  #samples: number[] | undefined;
  #timedOut = false;
  #waiting: { kind: EventKind; resolve: () => void } | undefined;

  /** slices 1: the worker times its variant at once and exits; more: it waits for 'go' per slice (see the workload). */
  constructor(setup: VariantSetup, variant: Variant, slices: number) {
    const { benchmark, postgres, runDir } = setup;
    this.variant = variant;
    this.#setup = setup;
    this.#schema = postgres && PG_BENCH_SUBJECTS.has(variant.subject) ? freshSchemaName('bench') : undefined;
    const env =
      postgres && this.#schema !== undefined
        ? {
            [SUBJECT_VARIABLE]: JSON.stringify({ name: 'agentos-postgres', pgUrl: postgres.url, schema: this.#schema }),
          }
        : {};
    this.#worker = setup.supervisor.spawn({
      id: variant.name,
      group: variant.name,
      workload: 'bench',
      params: {
        subject: variant.subject,
        durability: variant.durability,
        timeMs: benchmark.timeMs,
        warmupMs: benchmark.warmupMs,
        iterations: benchmark.iterations,
        slices,
      },
      dbPath: join(runDir, 'unused.db'),
      runDir,
      env,
      durability: variant.durability,
      onEvent: (w, event) => {
        setup.history.append(w.id, event);
        if (event.kind === 'bench.samples') this.#samples = event.samples;
        if (this.#waiting?.kind === event.kind) this.#waiting.resolve();
      },
      onExit: () => undefined,
    });
  }

  get name(): string {
    return this.variant.name;
  }

  /** Sends a command, recorded in the history. */
  send(command: WorkerCommand): void {
    this.#setup.history.append('harness', { kind: 'command.sent', to: this.name, cmd: command.cmd });
    this.#worker.send(command);
  }

  /**
   * Until the worker reports its next `kind` event (true), or exits, or the benchmark's timeout passes (false; a
   * worker that timed out is killed, so that it does not steal the CPU from the variants still being timed).
   */
  next(kind: EventKind): Promise<boolean> {
    return this.#until(kind);
  }

  /** Until the worker exits (or times out and is killed). */
  async exit(): Promise<void> {
    await this.#until(undefined);
  }

  async #until(kind: EventKind | undefined): Promise<boolean> {
    const event = new Promise<'event'>((resolve) => {
      if (kind !== undefined) this.#waiting = { kind, resolve: () => resolve('event') };
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, this.#setup.benchmark.timeoutMs, 'timeout');
    });
    const outcome = await Promise.race([event, this.#worker.exited.then(() => 'exited' as const), timeout]);
    clearTimeout(timer);
    this.#waiting = undefined;
    if (outcome === 'timeout') {
      this.#timedOut = true;
      this.#worker.signal('SIGKILL');
      await this.#worker.exited;
    }
    return outcome === 'event';
  }

  /**
   * After the worker has exited: its samples, adding to `reasons` why there are none (a timeout, the worker's error)
   * or what else went wrong. Its schema stays until dropSchema: another variant may read a fixture in it.
   */
  finish(reasons: string[]): number[] | undefined {
    const { benchmark, history } = this.#setup;
    if (this.#timedOut) reasons.push(`variant ${this.name} timed out after ${benchmark.timeoutMs} ms`);
    const error = history.select('worker.error', { worker: this.name })[0];
    if (error) reasons.push(`variant ${this.name} failed: ${error.message.split('\n')[0]}`);
    if (!this.#samples) {
      const stderr = this.#worker.stderr;
      reasons.push(`variant ${this.name} reported no samples${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`);
    }
    return this.#samples;
  }

  /** Drops the variant's PostgreSQL schema, if it has one, once every variant of the benchmark is done. */
  async dropSchema(reasons: string[]): Promise<void> {
    const schema = this.#schema;
    if (schema === undefined) return;
    await dropSchema(schema, this.#setup.postgres?.url).catch((e: unknown) =>
      reasons.push(`could not drop schema ${schema}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }
}
