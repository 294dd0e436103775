import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type AgentDatabase } from '../../src/index.js';
import { runCheck } from '../checks/index.js';
import { History } from '../history.js';
import { lossyFsUnavailable } from '../powerloss/availability.js';
import type { Fault } from '../schema.js';
import { Supervisor } from '../workers/supervisor.js';
import { builtPath } from '../workers/build.js';
import type { FaultRuntime } from './injector.js';
import { powerLoss } from './power-loss.js';

type PowerLossFault = Extract<Fault, { kind: 'power-loss' }>;

const unavailable = lossyFsUnavailable();
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  // Reverse order: reap the workers, close the database, unmount, remove the folder; each runs even if one fails.
  const errors: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
});

/**
 * What the runner does around the fault, by hand: set-up over an empty run folder, the database opened on it,
 * `writers` checkpoint writers, and the power lost (from inside the event handler, as a trigger does) at the
 * `killAfter`-th acknowledged commit. Resolves once every writer has exited.
 */
async function runUntilPowerLoss(durability: 'normal' | 'full', killAfter: number, writers = 3) {
  const runDir = mkdtempSync(join(tmpdir(), 'power-loss-test-'));
  cleanups.push(() => rmSync(runDir, { recursive: true, force: true }));
  const fault: PowerLossFault = { kind: 'power-loss', target: 'writer', inject: 'start' };
  const subject = { name: 'agentos-sqlite', runDir, module: builtPath('harness/subjects/agentos-sqlite.ts') };
  const teardown = await powerLoss.setup!(fault, {
    runDir,
    subject,
    usePgServer: () => undefined,
  });
  if (teardown) cleanups.push(teardown);
  const dbPath = join(runDir, 'agentos.db');
  const db: AgentDatabase = openDatabase(dbPath, { durability });
  cleanups.push(() => db.close());
  const history = new History();
  const supervisor = new Supervisor();
  cleanups.push(() => supervisor.reapAll());
  // Built apart from its type, so the test fits the runtime whether or not it carries more fields than these.
  const fields = {
    workers: (target: string) => supervisor.live().filter((w) => w.group === target || w.id === target),
    spawnHelper: () => {
      throw new Error('not used');
    },
    handle: {
      read: () => Promise.reject(new Error('not used')),
      sqliteFile: () => db,
      close: async () => undefined,
    },
    next: () => Promise.reject(new Error('not used')),
    runDir,
    subject,
    history,
    random: Math.random,
    injected: (detail: string, affected: number) =>
      void history.append('harness', {
        kind: 'fault.injected',
        fault: 'power-loss',
        target: 'writer',
        detail,
        affected,
      }),
    healed: () => undefined,
  };
  const runtime: FaultRuntime = fields;
  let acks = 0;
  // The target group's writers, and one of another group: a power loss spares no process on the machine.
  const ids = [
    ...Array.from({ length: writers }, (_, i) => ['writer', `writer-${i + 1}`] as const),
    ['bystander', 'bystander'] as const,
  ];
  const workers = ids.map(([group, id]) => {
    history.registerWorker(id, group);
    const worker = supervisor.spawn({
      id,
      group,
      workload: 'checkpoint-writer',
      params: { taskId: 'task-{worker}', count: 1_000_000 },
      dbPath,
      runDir,
      durability,
      onEvent: (w, event) => {
        history.append(w.id, event);
        if (event.kind === 'checkpoint.committed' && ++acks === killAfter) void powerLoss.inject(fault, runtime);
      },
      onExit: (w, exit) =>
        void history.append(w.id, {
          kind: 'worker.exited',
          exitCode: exit.exitCode,
          signal: exit.signal,
          peakRssKb: null,
        }),
    });
    history.append(id, { kind: 'worker.started', pid: worker.pid, group });
    return worker;
  });
  const exits = await Promise.all(workers.map((w) => w.exited));
  return { fault, runDir, dbPath, history, exits, context: { history, db, runDir } };
}

describe.skipIf(unavailable !== null)(
  `power-loss fault${unavailable ? ` — not applicable: ${unavailable}` : ''}`,
  () => {
    it("kills every writer at once, drops what was not fsynced, and under 'full' loses no acknowledged commit", async () => {
      const run = await runUntilPowerLoss('full', 300);

      expect(run.exits.map((e) => e.signal)).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL', 'SIGKILL']);
      const [loss] = run.history.select('fault.injected');
      expect(loss?.affected).toBeGreaterThan(0);
      expect(loss?.detail).toMatch(
        /^power lost: SIGKILL to writer-1 \(pid \d+\), writer-2 \(pid \d+\), writer-3 \(pid \d+\), bystander \(pid \d+\); dropped /,
      );
      expect(powerLoss.fired(run.fault, run.history, 0)).toMatchObject({ fired: true });
      const tail = runCheck({ check: 'power-loss-tail', maxLost: 0 }, run.context);
      expect(tail).toMatchObject({ valid: true, data: { losses: 1, lost: 0 } });
      expect(tail.data?.acknowledged).toBeGreaterThanOrEqual(300);
      const reopened = openDatabase(run.dbPath, { durability: 'full' });
      try {
        expect(reopened.integrityCheck()).toEqual(['ok']);
      } finally {
        reopened.close();
      }
    });

    it("under 'normal' loses only a tail of acknowledged commits, and the database still opens intact", async () => {
      const run = await runUntilPowerLoss('normal', 1500);

      const tail = runCheck({ check: 'power-loss-tail' }, run.context);
      expect(tail.valid).toBe(true);
      const lost = tail.data?.lost ?? -1;
      expect(lost).toBeGreaterThanOrEqual(0);
      const reopened = openDatabase(run.dbPath);
      try {
        expect(reopened.integrityCheck()).toEqual(['ok']);
        const rows = reopened.sqlite.prepare('SELECT COUNT(*) FROM checkpoints').pluck().get() as number;
        // Every acknowledged commit that did not survive is counted as lost; unacknowledged ones may survive too.
        expect(rows).toBeGreaterThanOrEqual((tail.data?.acknowledged ?? 0) - lost);
      } finally {
        reopened.close();
      }
    });
  },
);

describe('power-loss without a mount', () => {
  const fault: PowerLossFault = { kind: 'power-loss', target: 'writer', inject: 'start' };

  it('names a run folder that is not on lossyfs instead of losing nothing', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'power-loss-plain-'));
    const db = openDatabase(join(runDir, 'agentos.db'));
    cleanups.push(
      () => rmSync(runDir, { recursive: true, force: true }),
      () => db.close(),
    );
    const history = new History();
    const runtime = {
      workers: () => [],
      handle: { sqliteFile: () => db },
      history,
      random: Math.random,
      injected: () => undefined,
      healed: () => undefined,
    } as unknown as FaultRuntime;

    expect(() => powerLoss.inject(fault, runtime)).toThrow(
      /is not on lossyfs; the runner must await the fault's setup\(\)/,
    );
    expect(db.sqlite.open).toBe(true);
  });

  it('fails a power loss that dropped nothing', () => {
    const history = new History();
    history.append('harness', {
      kind: 'fault.injected',
      fault: 'power-loss',
      target: 'writer',
      detail: 'dropped 0 B',
      affected: 0,
    });
    expect(powerLoss.fired(fault, history, 0)).toEqual({
      fired: false,
      detail: '1 of 1 power loss(es) dropped nothing: every write had been fsynced, so the loss proved nothing',
    });
  });

  it('fails a power loss that never happened', () => {
    expect(powerLoss.fired(fault, new History(), 0)).toEqual({ fired: false, detail: 'the power was never lost' });
  });
});
