import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CHECK_NEEDS, runCheck } from '../checks/index.js';
import { freshSchemaName, pgUrl } from '../postgres/pg-server.js';
import {
  LAYER_FILE,
  SUBJECT_VARIABLE,
  missingCapabilities,
  runKey,
  type FinalState,
  type SubjectDefinition,
  type SubjectHandle,
  type WorkerSubjectConfig,
} from '../subject.js';
import { builtinSubject, workerModule, type LoadedSubject } from '../load-subjects.js';
import { injectorFor } from '../faults/index.js';
import type { FaultRuntime } from '../faults/injector.js';
import { History } from '../history.js';
import { hashString, seededRandom } from '../random.js';
import type { CriterionResult, FaultLogEntry, Outcome, ScenarioResult, VacuityResult } from '../result.js';
import type { Fault, ResolvedScenario, WorkerGroup } from '../schema.js';
import { Triggers } from '../triggers.js';
import { wallTimeMs } from '../time.js';
import type { AnyEvent } from '../workers/protocol.js';
import { Supervisor, type WorkerProcess } from '../workers/supervisor.js';
import { verdict } from './judge.js';
import { historyPath, persistHistory } from './persist.js';

export interface RunOptions {
  seed: number;
  category?: 'chaos' | 'stress';
  /** Where history files are copied (default reports/runs). */
  runsDir?: string;
  /** Keep the temporary run folder even when the scenario passes. */
  keepRunDir?: boolean;
  onProgress?: (message: string) => void;
  /** Aborting ends the run at once (Ctrl-C): workers are reaped, the run folder is removed, the result is failed. */
  signal?: AbortSignal;
  /** Where the workers' JavaScript is (default the normal build; a mutant build for checker tests). */
  buildDir?: string;
  /** The system under test, as loaded from its file (see loadSubjects), and for PostgreSQL subjects the server (default: PG*). */
  subject?: LoadedSubject;
  pgUrl?: string;
}

/** Longest wait for the workers to die once they were sent SIGKILL, after a timeout or an abort. */
const REAP_DEADLINE_MS = 10_000;

/** Runs one chaos scenario or stress test; see ScenarioRun for its phases. No child process outlives it. */
export async function runScenario(scenario: ResolvedScenario, options: RunOptions): Promise<ScenarioResult> {
  const subject = options.subject ?? (await builtinSubject());
  return new ScenarioRun(scenario, { ...options, subject }).execute();
}

/**
 * One run of a scenario, in named phases: prepare (run folder, database, fault set-up) → arm (triggers, first
 * workers) → wait (every worker exited, the timeout, or an abort) → tear down (heal, reap) → judge (checks and
 * vacuity guard) → persist (history, fault teardowns, run folder).
 */
class ScenarioRun {
  readonly #scenario: ResolvedScenario;
  readonly #options: RunOptions;
  readonly #started = performance.now();
  readonly #history = new History();
  readonly #supervisor: Supervisor;
  readonly #faultLog: FaultLogEntry[] = [];
  /** Problems the harness itself found: a timeout, a failed action, a survivor. */
  readonly #reasons: string[] = [];
  readonly #triggers: Triggers;
  readonly #random: () => number;
  readonly #teardowns: (() => Promise<void>)[] = [];
  readonly #ready = new Map<string, number>();
  #runDir = '';
  readonly #subject: WorkerSubjectConfig;
  readonly #definition: SubjectDefinition;
  /** The subject as the harness holds it, once prepared. */
  #handle: SubjectHandle | undefined;
  #helperCount = 0;
  /** Whether the run's folder (and PostgreSQL schema) is kept: it failed, or the caller asked. */
  #keep = false;
  #aborted = false;
  /** What ended the run before its workers did (a timeout, an interruption): the reason for killing those left. */
  #stoppedBy = 'a harness error stopped the run';
  #settle: () => void = () => undefined;
  readonly #settled = new Promise<void>((resolve) => (this.#settle = resolve));
  /** Asynchronous fault injections in flight (see #inFlight). */
  #injecting = 0;

  constructor(scenario: ResolvedScenario, options: RunOptions & { subject: LoadedSubject }) {
    this.#scenario = scenario;
    this.#options = options;
    this.#supervisor = new Supervisor(options.buildDir ? { buildDir: options.buildDir } : {});
    this.#random = seededRandom(options.seed ^ hashString(scenario.id));
    this.#triggers = new Triggers(this.#history, this.#random, (label, error) =>
      this.#reasons.push(`action "${label}" failed: ${error instanceof Error ? error.message : String(error)}`),
    );
    this.#triggers.onTimerFired = () => this.#checkSettled();
    this.#definition = options.subject.definition;
    this.#subject = {
      name: this.#definition.name,
      runDir: '',
      module: workerModule(options.subject, options.buildDir),
      // One explicit server for the harness, its faults and every worker of the run.
      ...(this.#definition.server === 'postgres' ? { pgUrl: pgUrl(options.pgUrl), schema: freshSchemaName() } : {}),
    };
  }

  async execute(): Promise<ScenarioResult> {
    // Interrupted before it began (Ctrl-C between runs): nothing is started.
    if (this.#options.signal?.aborted) return this.#result({ state: 'failed', reasons: ['interrupted'] }, [], []);
    const unavailable = this.#unavailable();
    if (unavailable) return this.#result({ state: 'not-applicable', reason: unavailable }, [], []);
    try {
      await this.#prepare();
      this.#arm();
      await this.#wait();
    } catch (error) {
      this.#reasons.push(`harness error: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await this.#tearDown();
    }
    let judged: { criteria: CriterionResult[]; vacuity: VacuityResult[] } = { criteria: [], vacuity: [] };
    let outcome: Outcome = { state: 'failed', reasons: ['interrupted'] };
    try {
      judged = await this.#judge();
      if (!this.#aborted) outcome = verdict(judged.criteria, this.#reasons);
    } catch (error) {
      outcome = { state: 'failed', reasons: [`harness error while judging: ${(error as Error).message}`] };
    } finally {
      // Teardowns run whatever happened: a throwaway server or a proxy must not outlive the run. A failed run of ours
      // keeps its folder and schema for inspection; a peer's findings are expected, and keep only their history.
      await this.#persist(outcome.state === 'failed' && !this.#aborted && this.#definition.peer !== true);
    }
    return this.#result(outcome, judged.criteria, judged.vacuity);
  }

  /** A subject without what the scenario needs, or a fault that cannot run here: not applicable, never passed. */
  #unavailable(): string | undefined {
    const missing = missingCapabilities(this.#definition, this.#scenario.requires);
    if (missing) return `needs ${this.#scenario.requires.join(', ')}: ${missing}`;
    // Peers are compared under faults; a stress test measures this layer under load.
    if (this.#definition.peer === true && this.#options.category === 'stress')
      return 'stress tests measure this layer; peers are compared in the chaos scenarios';
    for (const fault of this.#scenario.faults) {
      const needs = injectorFor(fault).needs;
      if (needs && !this.#definition.capabilities.includes(needs))
        return `${fault.kind} needs ${needs}: ${this.#subject.name} lacks it`;
      const why = injectorFor(fault).unavailable?.(fault);
      if (why) return `${fault.kind}: ${why}`;
    }
    return undefined;
  }

  async #prepare(): Promise<void> {
    this.#runDir = mkdtempSync(join(tmpdir(), `agentos-chaos-${this.#scenario.id}-`));
    for (const fault of this.#scenario.faults) {
      const teardown = await injectorFor(fault).setup?.(fault, {
        runDir: this.#runDir,
        subject: this.#subject,
        usePgServer: (url) => (this.#subject.pgUrl = url),
      });
      if (teardown) this.#teardowns.unshift(teardown);
    }
    this.#subject.runDir = this.#runDir;
    const definition = this.#definition;
    // Dropped after judging, before the faults' teardowns (a throwaway server must still be up to drop from); a
    // failed run's schema is kept for inspection, like its run folder.
    this.#teardowns.unshift(async () => {
      if (!this.#keep) await definition.teardown?.(this.#subject);
      else if (this.#subject.schema !== undefined)
        this.#progress(
          `schema ${this.#subject.schema} not dropped, for inspection (on ${this.#subject.pgUrl ?? 'the server'}, unless that was a throwaway server)`,
        );
    });
    this.#handle = await definition.prepare(this.#subject);
  }

  /** The criteria whose checks this subject can answer, and a note for each it cannot. */
  #applicableCriteria(): { criteria: ResolvedScenario['criteria']; skipped: string[] } {
    const capabilities = this.#definition.capabilities;
    const skipped: string[] = [];
    const criteria = this.#scenario.criteria.filter((c) => {
      const need = CHECK_NEEDS[c.check.check];
      if (need === null || capabilities.includes(need)) return true;
      skipped.push(`${c.id}: ${c.check.check} needs ${need}`);
      return false;
    });
    return { criteria, skipped };
  }

  /** Registers every trigger before anything starts, so no early event is missed; then starts the first groups. */
  #arm(): void {
    const first: WorkerGroup[] = [];
    for (const group of this.#scenario.workers) {
      if (group.start === 'start') first.push(group);
      else this.#triggers.on(group.start, `start ${group.name}`, () => this.#startGroup(group));
    }
    this.#scenario.faults.forEach((fault) => {
      const injector = injectorFor(fault);
      const runtime = this.#runtimeFor(fault);
      const n = this.#triggers.on(fault.inject, `inject ${fault.kind}`, () =>
        this.#inFlight(injector.inject(fault, runtime)),
      );
      if (n > 0)
        this.#faultLog.push({
          t: wallTimeMs(),
          fault: fault.kind,
          target: fault.target,
          action: 'armed',
          detail: `fires on event #${n} of its trigger`,
        });
      if ('heal' in fault && fault.heal && injector.heal) {
        const heal = injector.heal.bind(injector);
        this.#triggers.on(fault.heal, `heal ${fault.kind}`, () => heal(fault, runtime));
      }
    });
    for (const c of this.#scenario.commands) {
      this.#triggers.on(c.on, `send ${c.send.cmd} to ${c.to}`, () => {
        for (const w of this.#workersOf(c.to)) w.send(c.send);
        this.#record('harness', { kind: 'command.sent', to: c.to, cmd: c.send.cmd });
      });
    }
    for (const group of first) this.#startGroup(group);
    this.#checkSettled();
  }

  /** Until no worker is alive and no timed action can start one, the timeout passes, or the run is aborted. */
  async #wait(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const signal = this.#options.signal;
    const onAbort = (): void => this.#settle();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const timedOut = await Promise.race([
        this.#settled.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), this.#scenario.timeoutMs);
        }),
      ]);
      this.#aborted = signal?.aborted ?? false;
      if (this.#aborted) this.#stoppedBy = 'the run was interrupted';
      if (timedOut) {
        this.#stoppedBy = `the scenario timed out after ${this.#scenario.timeoutMs} ms`;
        const waiting =
          this.#triggers.waiting.join(', ') ||
          `workers to exit (${this.#supervisor
            .live()
            .map((w) => w.id)
            .join(', ')})`;
        this.#reasons.push(`timed out after ${this.#scenario.timeoutMs} ms; still waiting for: ${waiting}`);
        this.#progress(`timed out; still waiting for: ${waiting}`);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Cancels what is armed, heals every fault (resumes paused workers), then kills and awaits whatever is left, bounded. */
  async #tearDown(): Promise<void> {
    this.#reasons.push(...this.#neverStarted());
    this.#triggers.cancel();
    for (const fault of this.#scenario.faults) {
      try {
        injectorFor(fault).heal?.(fault, this.#runtimeFor(fault));
        await injectorFor(fault).settle?.(fault);
      } catch {
        // Teardown goes on regardless.
      }
    }
    for (const w of this.#supervisor.live())
      this.#history.append(w.id, { kind: 'worker.reaped', reason: this.#stoppedBy });
    let deadline: NodeJS.Timeout | undefined;
    const reaped = await Promise.race([
      this.#supervisor.reapAll().then(() => true),
      new Promise<boolean>((resolve) => (deadline = setTimeout(() => resolve(false), REAP_DEADLINE_MS))),
    ]);
    clearTimeout(deadline);
    if (!reaped) this.#reasons.push(`workers did not exit within ${REAP_DEADLINE_MS} ms of SIGKILL`);
    const survivors = this.#supervisor.survivors();
    if (survivors.length > 0) this.#reasons.push(`child processes survived the scenario: pids ${survivors.join(', ')}`);
  }

  /** Each declared group whose start trigger never fired, named with what it waited for (not after an interruption). */
  #neverStarted(): string[] {
    if (this.#aborted) return [];
    const started = new Set(this.#supervisor.all.map((w) => w.group));
    return this.#scenario.workers.flatMap((group) => {
      const waited = started.has(group.name) ? undefined : this.#triggers.waitingFor(`start ${group.name}`);
      return waited ? [`worker group "${group.name}" never started: it waited for ${waited}`] : [];
    });
  }

  /** Every applicable criterion's check over the history and the subject's final state, and each fault's vacuity guard. */
  async #judge(): Promise<{ criteria: CriterionResult[]; vacuity: VacuityResult[] }> {
    const handle = this.#handle;
    const applicable = this.#applicableCriteria().criteria;
    const final = handle ? await this.#readFinal(handle, applicable) : undefined;
    // A fault may have closed the harness's own connection (a power loss ends every connection): this reopens it.
    const sqliteFile = handle?.sqliteFile?.();
    const criteria: CriterionResult[] = applicable.map((c) => {
      const outcome = handle
        ? runCheck(c.check, {
            history: this.#history,
            runDir: this.#runDir,
            ...(final ? { final } : {}),
            ...(sqliteFile ? { sqliteFile } : {}),
          })
        : { valid: 'unknown' as const, measured: 'no subject: the run did not start' };
      return { id: c.id, kind: c.kind, description: c.description, seed: c.seed, ours: c.ours, ...outcome };
    });
    const vacuity: VacuityResult[] = this.#scenario.faults.map((fault, i) => ({
      fault: fault.kind,
      target: fault.target,
      ...injectorFor(fault).fired(fault, this.#history, i),
    }));
    for (const v of vacuity)
      if (!v.fired) this.#reasons.push(`fault did not fire: ${v.fault} on ${v.target}: ${v.detail}`);
    return { criteria, vacuity };
  }

  /** The subject's state read through its own API, when some criterion judges it; a failed read is a reason. */
  async #readFinal(handle: SubjectHandle, criteria: ResolvedScenario['criteria']): Promise<FinalState | undefined> {
    // The sqlite-file checks read the file, the tools checks the effect files; the others judge FinalState.
    const needed = criteria.some((c) => {
      const need = CHECK_NEEDS[c.check.check];
      return need !== null && need !== 'sqlite-file' && need !== 'tools';
    });
    if (!needed) return undefined;
    try {
      return await handle.read(new Set(criteria.map((c) => c.check.check)));
    } catch (error) {
      this.#reasons.push(`could not read ${this.#subject.name}'s final state: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Writes the history beside the reports, runs the faults' teardowns and removes the run folder unless it is kept. */
  async #persist(keep: boolean): Promise<void> {
    this.#keep = keep || (this.#options.keepRunDir ?? false);
    try {
      await this.#handle?.close();
      if (this.#runDir) writeFileSync(join(this.#runDir, 'history.jsonl'), this.#history.toJsonl());
      persistHistory(this.#key, this.#history, this.#options.runsDir);
    } finally {
      for (const teardown of this.#teardowns) {
        try {
          await teardown();
        } catch (error) {
          this.#progress(`fault teardown failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
    if (this.#runDir && !this.#keep) rmSync(this.#runDir, { recursive: true, force: true });
  }

  /** The history folder's name: the id, with the subject unless it is the default. */
  get #key(): string {
    return runKey(this.#scenario.id, this.#subject.name);
  }

  #result(outcome: Outcome, criteria: CriterionResult[], vacuity: VacuityResult[]): ScenarioResult {
    const s = this.#scenario;
    const notApplicable = outcome.state === 'not-applicable' ? [] : this.#applicableCriteria().skipped;
    return {
      id: s.id,
      title: s.title,
      category: this.#options.category ?? 'chaos',
      seedTest: s.seedTest,
      purpose: s.purpose,
      procedure: s.procedure,
      seed: this.#options.seed,
      durationMs: performance.now() - this.#started,
      subject: this.#subject.name,
      peer: this.#definition.peer === true,
      ...(notApplicable.length > 0 ? { notApplicable } : {}),
      criteria,
      faults: this.#faultLog,
      vacuity,
      workers: this.#supervisor.all.map((w) => ({
        id: w.id,
        group: w.group,
        pid: w.pid,
        ...this.#exitOf(w.id),
        peakRssKb: w.peakRssKb,
      })),
      survivors: this.#supervisor.survivors(),
      historyFile: historyPath(this.#key, this.#options.runsDir),
      runDir: this.#runDir,
      ...outcome,
    };
  }

  #exitOf(id: string): { exitCode: number | null; signal: string | null } {
    const e = this.#history.select('worker.exited', { worker: id }).find((x) => x.worker === id);
    return { exitCode: e?.exitCode ?? null, signal: e?.signal ?? null };
  }

  #record(worker: string, event: AnyEvent): void {
    this.#triggers.observe(this.#history.append(worker, event));
  }

  #progress(message: string): void {
    this.#options.onProgress?.(message);
  }

  #checkSettled(): void {
    if (this.#supervisor.live().length === 0 && this.#triggers.timersPending === 0 && this.#injecting === 0)
      this.#settle();
  }

  /** Counts an asynchronous injection until it ends: what it triggers (a worker started on its event) still runs. */
  #inFlight(injection: void | Promise<void>): void {
    if (!injection) return;
    this.#injecting++;
    void injection
      .catch((error: unknown) => this.#reasons.push(`fault injection failed: ${String(error)}`))
      .finally(() => {
        this.#injecting--;
        this.#checkSettled();
      });
  }

  #workersOf(target: string): WorkerProcess[] {
    return this.#supervisor.live().filter((w) => w.group === target || w.id === target);
  }

  /** For a large group, how many of its workers are ready (every tenth, and the last): a long start is followed. */
  #readyProgress(group: string): void {
    const size = this.#scenario.workers.find((g) => g.name === group)?.count ?? 1;
    const ready = (this.#ready.get(group) ?? 0) + 1;
    this.#ready.set(group, ready);
    if (size >= 10 && (ready % 10 === 0 || ready === size)) this.#progress(`${ready}/${size} ${group} workers ready`);
  }

  #startGroup(group: WorkerGroup): void {
    if (this.#aborted) return;
    this.#progress(`starting ${group.count} × ${group.workload} (${group.name})`);
    for (let i = 1; i <= group.count; i++) {
      this.#spawn(
        group.count === 1 ? group.name : `${group.name}-${i}`,
        group.name,
        group.workload,
        group.params,
        group.durability,
      );
    }
  }

  #spawn(
    id: string,
    group: string,
    workload: string,
    params: Record<string, unknown>,
    durability: 'normal' | 'full',
  ): WorkerProcess {
    this.#history.registerWorker(id, group);
    const env = Object.assign(
      { [SUBJECT_VARIABLE]: JSON.stringify(this.#subject) },
      ...this.#scenario.faults.map((f) => injectorFor(f).workerEnv?.(f, { id, group }, this.#subject) ?? {}),
    ) as Record<string, string>;
    const worker = this.#supervisor.spawn({
      env,
      id,
      group,
      workload,
      params,
      dbPath: join(this.#runDir, LAYER_FILE),
      runDir: this.#runDir,
      durability,
      onEvent: (w, event) => {
        if (event.kind === 'worker.ready') this.#readyProgress(group);
        this.#record(w.id, event);
      },
      onExit: (w, exit) => {
        if (w.stderr.trim()) this.#history.append(w.id, { kind: 'worker.stderr', text: w.stderr.slice(-2000) });
        this.#record(w.id, {
          kind: 'worker.exited',
          exitCode: exit.exitCode,
          signal: exit.signal,
          peakRssKb: w.peakRssKb,
        });
        this.#checkSettled();
      },
    });
    this.#record(id, { kind: 'worker.started', pid: worker.pid, group });
    return worker;
  }

  #runtimeFor(fault: Fault): FaultRuntime {
    const handle = this.#handle;
    if (!handle) throw new Error('the subject is not prepared yet');
    return {
      workers: (target) => this.#workersOf(target),
      spawnHelper: (workload, params) =>
        this.#spawn(`${workload}-${++this.#helperCount}`, `fault:${fault.kind}`, workload, params, 'normal'),
      handle,
      runDir: this.#runDir,
      next: (kind, worker) =>
        new Promise((resolve) =>
          this.#triggers.on({ after: { kind, worker, count: 1 } }, `await ${kind} from ${worker}`, () =>
            resolve(this.#history.select(kind, { worker }).at(-1)!),
          ),
        ),
      subject: this.#subject,
      history: this.#history,
      random: this.#random,
      injected: (detail, affected) => {
        this.#faultLog.push({ t: wallTimeMs(), fault: fault.kind, target: fault.target, action: 'injected', detail });
        this.#progress(`fault ${fault.kind}: ${detail}`);
        this.#record('harness', { kind: 'fault.injected', fault: fault.kind, target: fault.target, detail, affected });
      },
      healed: (detail) => {
        this.#faultLog.push({ t: wallTimeMs(), fault: fault.kind, target: fault.target, action: 'healed', detail });
        this.#progress(`heal ${fault.kind}: ${detail}`);
        this.#record('harness', { kind: 'fault.healed', fault: fault.kind, target: fault.target, detail });
      },
    };
  }
}
