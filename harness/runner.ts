import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/index.js';
import { worst } from './checks/check.js';
import { runCheck } from './checks/index.js';
import { injectorFor } from './faults/index.js';
import type { FaultRuntime } from './faults/injector.js';
import { History } from './history.js';
import { hashString, seededRandom } from './random.js';
import type { CriterionResult, FaultLogEntry, ScenarioResult, VacuityResult } from './result.js';
import type { ResolvedScenario, WorkerGroup } from './schema.js';
import { Triggers } from './triggers.js';
import { ROOT } from './workers/build.js';
import type { AnyEvent } from './workers/protocol.js';
import { Supervisor, type WorkerProcess } from './workers/supervisor.js';

export interface RunOptions {
  seed: number;
  category?: 'chaos' | 'stress';
  /** Where history files are copied (default reports/runs). */
  runsDir?: string;
  /** Keep the temporary run folder even when the scenario passes. */
  keepRunDir?: boolean;
  onProgress?: (message: string) => void;
}

/**
 * Runs one scenario: fresh temporary folder and database → workers and faults on their triggers → every worker
 * exited (or the timeout) → heal → reap → checks and vacuity guard. No child process outlives it.
 */
export async function runScenario(scenario: ResolvedScenario, options: RunOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const runDir = mkdtempSync(join(tmpdir(), `agentos-chaos-${scenario.id}-`));
  const dbPath = join(runDir, 'agentos.db');
  const db = openDatabase(dbPath);
  const history = new History();
  const supervisor = new Supervisor();
  const random = seededRandom(options.seed ^ hashString(scenario.id));
  const faultLog: FaultLogEntry[] = [];
  const reasons: string[] = [];
  const triggers = new Triggers(history, random, (label, error) =>
    reasons.push(`action "${label}" failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  const progress = options.onProgress ?? (() => undefined);
  let helperCount = 0;
  let settle: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => (settle = resolve));

  const record = (worker: string, event: AnyEvent): void => {
    triggers.observe(history.append(worker, event));
  };
  // Over when no worker is alive and no timed action can still start one.
  const checkSettled = (): void => {
    if (supervisor.live().length === 0 && triggers.timersPending === 0) settle();
  };
  triggers.onTimerFired = checkSettled;
  const spawn = (
    id: string,
    group: string,
    workload: string,
    params: Record<string, unknown>,
    durability: 'normal' | 'full',
  ): WorkerProcess => {
    history.registerWorker(id, group);
    const worker = supervisor.spawn({
      id,
      group,
      workload,
      params,
      dbPath,
      runDir,
      durability,
      onEvent: (w, event) => record(w.id, event),
      onExit: (w, exit) => {
        if (w.stderr.trim()) history.append(w.id, { kind: 'worker.stderr', text: w.stderr.slice(-2000) });
        record(w.id, { kind: 'worker.exited', exitCode: exit.exitCode, signal: exit.signal, peakRssKb: w.peakRssKb });
        checkSettled();
      },
    });
    record(id, { kind: 'worker.started', pid: worker.pid, group });
    return worker;
  };
  const startGroup = (group: WorkerGroup): void => {
    progress(`starting ${group.count} × ${group.workload} (${group.name})`);
    for (let i = 1; i <= group.count; i++) {
      spawn(group.count === 1 ? group.name : `${group.name}-${i}`, group.name, group.workload, group.params, group.durability);
    }
  };

  const runtimeFor = (fault: ResolvedScenario['faults'][number]): FaultRuntime => ({
    workers: (target) => supervisor.live().filter((w) => w.group === target || w.id === target),
    spawnHelper: (workload, params) => spawn(`${workload}-${++helperCount}`, `fault:${fault.kind}`, workload, params, 'normal'),
    db,
    history,
    random,
    injected: (detail, affected) => {
      faultLog.push({ t: performanceNow(), fault: fault.kind, target: fault.target, action: 'injected', detail });
      progress(`fault ${fault.kind}: ${detail}`);
      record('harness', { kind: 'fault.injected', fault: fault.kind, target: fault.target, detail, affected });
    },
    healed: (detail) => {
      faultLog.push({ t: performanceNow(), fault: fault.kind, target: fault.target, action: 'healed', detail });
      progress(`heal ${fault.kind}: ${detail}`);
      record('harness', { kind: 'fault.healed', fault: fault.kind, target: fault.target, detail });
    },
  });

  let timer: NodeJS.Timeout | undefined;
  try {
    // Register every trigger before anything starts, so no early event is missed.
    const deferredStarts: (() => void)[] = [];
    for (const group of scenario.workers) {
      if (group.start === 'start') deferredStarts.push(() => startGroup(group));
      else triggers.on(group.start, `start ${group.name}`, () => startGroup(group));
    }
    scenario.faults.forEach((fault) => {
      const injector = injectorFor(fault);
      const runtime = runtimeFor(fault);
      const n = triggers.on(fault.inject, `inject ${fault.kind}`, () => injector.inject(fault, runtime));
      if (n > 0) faultLog.push({ t: performanceNow(), fault: fault.kind, target: fault.target, action: 'armed', detail: `fires on event #${n} of its trigger` });
      if ('heal' in fault && fault.heal && injector.heal) {
        const heal = injector.heal.bind(injector);
        triggers.on(fault.heal, `heal ${fault.kind}`, () => heal(fault, runtime));
      }
    });
    scenario.commands.forEach((c) => {
      triggers.on(c.on, `send ${c.send.cmd} to ${c.to}`, () => {
        const targets = supervisor.live().filter((w) => w.group === c.to || w.id === c.to);
        for (const w of targets) w.send(c.send);
        record('harness', { kind: 'command.sent', to: c.to, cmd: c.send.cmd });
      });
    });
    for (const start of deferredStarts) start();
    checkSettled();

    const timedOut = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), scenario.timeoutMs);
      }),
    ]);
    if (timedOut) {
      reasons.push(`timed out after ${scenario.timeoutMs} ms; still waiting for: ${triggers.waiting.join(', ') || 'workers to exit'}`);
    }
  } catch (error) {
    reasons.push(`harness error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(timer);
    triggers.cancel();
    // Heal every fault (resume paused workers), then kill and await whatever is left.
    for (const fault of scenario.faults) {
      try {
        injectorFor(fault).heal?.(fault, runtimeFor(fault));
      } catch {
        // Teardown goes on regardless.
      }
    }
    await supervisor.reapAll();
  }

  const survivors = supervisor.survivors();
  if (survivors.length > 0) reasons.push(`child processes survived the scenario: pids ${survivors.join(', ')}`);

  const criteria: CriterionResult[] = scenario.criteria.map((c) => {
    const outcome = runCheck(c.check, { history, db, runDir });
    return { id: c.id, kind: c.kind, description: c.description, seed: c.seed, ours: c.ours, ...outcome };
  });
  const vacuity: VacuityResult[] = scenario.faults.map((fault, i) => ({
    fault: fault.kind,
    target: fault.target,
    ...injectorFor(fault).fired(fault, history, i),
  }));
  db.close();

  for (const v of vacuity) if (!v.fired) reasons.push(`fault did not fire: ${v.fault} on ${v.target}: ${v.detail}`);
  const gates = criteria.filter((c) => c.kind === 'gate');
  const verdict = worst(gates.map((c) => c.valid));
  for (const c of gates) {
    if (c.valid !== true) reasons.push(`${c.id}: ${c.valid === false ? 'invalid' : 'unknown'} — measured ${c.measured}${c.details ? ` (${c.details})` : ''}`);
  }

  const runsDir = options.runsDir ?? join(ROOT, 'reports', 'runs');
  const historyFile = join(runsDir, scenario.id, 'history.jsonl');
  writeFileSync(join(runDir, 'history.jsonl'), history.toJsonl());
  mkdirSync(join(runsDir, scenario.id), { recursive: true });
  cpSync(join(runDir, 'history.jsonl'), historyFile);

  const failed = reasons.length > 0 || verdict !== true;
  if (!failed && !options.keepRunDir) rmSync(runDir, { recursive: true, force: true });
  const base = {
    id: scenario.id,
    title: scenario.title,
    category: options.category ?? 'chaos',
    measurements: [],
    seedTest: scenario.seedTest,
    purpose: scenario.purpose,
    procedure: scenario.procedure,
    seed: options.seed,
    durationMs: performance.now() - started,
    criteria,
    faults: faultLog,
    vacuity,
    workers: supervisor.all.map((w) => ({ id: w.id, group: w.group, pid: w.pid, ...exitOf(history, w.id), peakRssKb: w.peakRssKb })),
    survivors,
    historyFile,
    runDir,
  };
  return failed ? { ...base, state: 'failed', reasons } : { ...base, state: 'passed' };
}

function exitOf(history: History, id: string): { exitCode: number | null; signal: string | null } {
  const e = history.select('worker.exited', { worker: id }).find((x) => x.worker === id);
  return { exitCode: e?.exitCode ?? null, signal: e?.signal ?? null };
}

function performanceNow(): number {
  return performance.timeOrigin + performance.now();
}
