import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { deadPid } from '../../test/helpers/dead-pid.js';
import { lines } from '../../test/helpers/lines.js';
import { describeEachStore, idle, type StoreUnderTest } from '../../test/helpers/stores.js';
import { until } from '../../test/helpers/until.js';
import { AgentDatabase } from '../sqlite/db.js';
import {
  InDoubtToolCallError,
  LeaseLostError,
  ToolCallInProgressError,
  ToolResultNotRecordedError,
} from '../errors.js';
import { PgDatabase } from '../pg/db.js';
import { ownBootId, ownPidSpace, processStartTime } from '../process-identity.js';
import type { AgentStore } from '../store.js';
import { LeaseManager } from './leases.js';
import { ToolLedger, type ToolResult } from './tool-ledger.js';

/** Who started a call, as its row records it. */
interface Owner {
  host: string | null;
  pidSpace: string | null;
  pid: number | null;
  start: string | null;
  leaseItem?: string;
  leaseEpoch?: number;
}

/** A process of this machine, in this pid space. */
function here(pid: number, start: string | null = null): Owner {
  return { host: hostname(), pidSpace: ownPidSpace(), pid, start };
}

function literal(value: string | number | null): string {
  if (value === null) return 'NULL';
  return typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`;
}

/** What a process that stopped between "started" and "completed" leaves behind: a started row with its owner. */
async function startedRow(store: StoreUnderTest, command: string, owner: Owner): Promise<void> {
  const key = new ToolLedger(store.db).keyOf(command, { cwd: store.dir });
  const values = [key, command, store.dir, owner.host, owner.pidSpace, owner.pid, owner.start]
    .concat([owner.leaseItem ?? null, owner.leaseEpoch ?? null])
    .map(literal);
  await store.exec(`DELETE FROM tool_calls WHERE key = ${literal(key)}`);
  await store.exec(`INSERT INTO tool_calls (key, command, cwd, owner_host, owner_pid_space, owner_pid, owner_start,
      lease_item, lease_epoch, status, claim, started_at) VALUES (${values.join(', ')}, 'started', 'left-behind', 0)`);
}

/** The tool_calls rows, oldest first. */
function rows(store: StoreUnderTest): Promise<Record<string, unknown>[]> {
  return store.select('SELECT status, lease_item, lease_epoch, owner_pid FROM tool_calls ORDER BY started_at, key');
}

/** Two workers; a holds "job" at epoch 1, and takeOver() ends a's lease by the store's clock and gives it to b. */
async function twoWorkers({ db, expire }: StoreUnderTest) {
  const a = new LeaseManager(db, { workerId: 'a', leaseDurationMs: 60_000 });
  const b = new LeaseManager(db, { workerId: 'b', leaseDurationMs: 60_000 });
  await a.enqueue([{ id: 'job' }]);
  const leaseA = await a.acquire('job');
  if (!leaseA) throw new Error('a did not get the lease');
  return {
    leaseA,
    takeOver: async () => {
      await expire('job');
      const leaseB = await b.acquire('job');
      if (leaseB?.epoch !== 2) throw new Error('b did not take the lease over');
      return leaseB;
    },
  };
}

/** Another handle on the database behind `db` that calls itself `identity`: nothing in flight is shared with it. */
function calledOtherwise(db: AgentStore, identity: string): AgentStore {
  if (db instanceof AgentDatabase) return new AgentDatabase(db.sqlite, db.path, db.durability, db.clock, identity);
  if (db instanceof PgDatabase) return new PgDatabase(db.pool, db.schema, db.label, identity);
  throw new Error(`no second identity for ${db.label}`);
}

/** A command that appends its shell's pid to `side`, waits until `gate` exists, then says who ran it. */
function gatedCommand(side: string, gate: string): string {
  return `echo $$ >> ${side}; while [ ! -e ${gate} ]; do sleep 0.01; done; echo "executed by $$"`;
}

/** What a call settled with, short enough to print. */
function summary(outcome: unknown): unknown {
  if (outcome instanceof Error) return `${outcome.name}: ${outcome.message}`;
  const { exitCode, stdout, replayed } = outcome as ToolResult;
  return { exitCode, stdout, replayed };
}

describeEachStore('ToolLedger', (open) => {
  it('says so, naming the call, when its result matches no row any more (forgotten while it ran)', async () => {
    const { db, dir, reopen } = await open();
    const tools = new ToolLedger(db);
    const command = 'touch started; while [ ! -e gate ]; do sleep 0.01; done; echo ran';
    const running = tools.run(command, { cwd: dir }).catch((e: unknown) => e);
    await until(() => existsSync(join(dir, 'started')));
    expect(await new ToolLedger(await reopen()).forget(command, { cwd: dir })).toBe(true);
    writeFileSync(join(dir, 'gate'), '');
    const outcome = await running;
    expect(outcome).toBeInstanceOf(ToolResultNotRecordedError);
    expect((outcome as Error).message).toContain(command);
  });

  it('executes once, then replays the same bytes without executing', async () => {
    const { db, dir } = await open();
    const ledger = new ToolLedger(db);
    const command = `echo run >> side-effects.txt; printf '\\377\\376abc'; printf 'err' >&2; exit 3`;
    const first = await ledger.run(command, { cwd: dir });
    const second = await ledger.run(command, { cwd: dir });
    expect(first).toMatchObject({ exitCode: 3, stderr: 'err', replayed: false, timedOut: false, truncated: false });
    expect(second).toMatchObject({ exitCode: 3, stderr: 'err', replayed: true, timedOut: false, truncated: false });
    expect(first.stdoutBytes).toEqual(Buffer.from([0xff, 0xfe, 0x61, 0x62, 0x63]));
    expect(second.stdoutBytes).toEqual(first.stdoutBytes);
    expect(second.durationMs).toBe(first.durationMs);
    expect(lines(join(dir, 'side-effects.txt'))).toEqual(['run']);
    expect(ledger.stats()).toEqual({ executed: 1, replayed: 1, replayRate: 0.5 });
    expect([ledger.metrics.count('toolCallsExecuted'), ledger.metrics.count('toolCallsReplayed')]).toEqual([1, 1]);
  });

  it('reports a call whose owner on this machine is gone in doubt, and runs it only when told to', async () => {
    const store = await open();
    const { db, dir } = store;
    const ledger = new ToolLedger(db);
    const command = 'echo run >> side-effects.txt';
    await startedRow(store, command, here(deadPid()));
    await expect(ledger.run(command, { cwd: dir })).rejects.toThrow(InDoubtToolCallError);
    await expect(ledger.run(command, { cwd: dir })).rejects.toThrow(/never finished: it may already have run/);
    expect(existsSync(join(dir, 'side-effects.txt'))).toBe(false);
    expect(await ledger.run(command, { cwd: dir, onInDoubt: 'execute' })).toMatchObject({ replayed: false });
    expect(lines(join(dir, 'side-effects.txt'))).toEqual(['run']);
    expect(ledger.metrics.count('toolCallsInDoubt')).toBe(2);
    expect(await rows(store)).toMatchObject([{ status: 'completed' }]);
  });

  it('forget() resolves an in-doubt call so the next run executes', async () => {
    const store = await open();
    const ledger = new ToolLedger(store.db);
    await startedRow(store, 'true', here(deadPid()));
    expect(await ledger.forget('true', { cwd: store.dir })).toBe(true);
    expect(await ledger.forget('true', { cwd: store.dir })).toBe(false);
    expect(await ledger.run('true', { cwd: store.dir })).toMatchObject({ exitCode: 0, replayed: false });
  });

  it('refuses a call a live process of this machine is running, whatever the in-doubt policy', async () => {
    const store = await open();
    const ledger = new ToolLedger(store.db);
    const command = 'echo run >> side-effects.txt';
    await startedRow(store, command, here(process.ppid, processStartTime(process.ppid) ?? null));
    await expect(ledger.run(command, { cwd: store.dir })).rejects.toThrow(ToolCallInProgressError);
    await expect(ledger.run(command, { cwd: store.dir, onInDoubt: 'execute' })).rejects.toThrow(
      new RegExp(`is running in process ${process.ppid};`),
    );
    expect(existsSync(join(store.dir, 'side-effects.txt'))).toBe(false);
  });

  it.runIf(process.platform === 'linux')(
    'treats a started call whose owner pid now names another process (reused) as in doubt, not in progress',
    async () => {
      const store = await open();
      const ledger = new ToolLedger(store.db);
      const command = 'echo run >> side-effects.txt';
      // The recorded owner had the pid of a live process (our parent) but started at another time.
      await startedRow(store, command, here(process.ppid, 'not-its-start-time'));
      await expect(ledger.run(command, { cwd: store.dir })).rejects.toThrow(InDoubtToolCallError);
      expect(await ledger.run(command, { cwd: store.dir, onInDoubt: 'execute' })).toMatchObject({ replayed: false });
      expect(lines(join(store.dir, 'side-effects.txt'))).toEqual(['run']);
    },
  );

  it('judges a call recorded by an older release (its pid alone, no host) by that pid', async () => {
    const store = await open();
    const ledger = new ToolLedger(store.db);
    const [gone, running] = ['echo gone >> side-effects.txt', 'echo running >> side-effects.txt'];
    const pidAlone = (pid: number): Owner => ({ host: null, pidSpace: null, pid, start: null });
    await startedRow(store, gone, pidAlone(deadPid()));
    await startedRow(store, running, pidAlone(process.ppid));
    await expect(ledger.run(gone, { cwd: store.dir })).rejects.toThrow(InDoubtToolCallError);
    await expect(ledger.run(running, { cwd: store.dir })).rejects.toThrow(ToolCallInProgressError);
  });

  it('counts a call from another container of this machine (its own pid namespace) in progress while its lease is held, in doubt once it is lost', async () => {
    const store = await open();
    const ledger = new ToolLedger(store.db);
    const { leaseA, takeOver } = await twoWorkers(store);
    const command = 'echo run >> side-effects.txt';
    // Same boot id, another pid namespace: its pid says nothing about the processes this one can see.
    const pidSpace = `${ownBootId() ?? 'boot'}/pid:[1]`;
    const owner = { host: 'pod-a', pidSpace, pid: deadPid(), start: null, leaseItem: 'job', leaseEpoch: leaseA.epoch };
    await startedRow(store, command, owner);
    const busy = await ledger.run(command, { cwd: store.dir, onInDoubt: 'execute' }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ToolCallInProgressError);
    expect(String(busy)).toMatch(new RegExp(`started by process ${owner.pid} on host "pod-a"`));
    const leaseB = await takeOver();
    await expect(ledger.run(command, { cwd: store.dir, lease: leaseB })).rejects.toThrow(InDoubtToolCallError);
    expect(existsSync(join(store.dir, 'side-effects.txt'))).toBe(false);
  });

  it('runs a call once when ledgers of several databases claim it at the same time', async () => {
    const { db, dir, select } = await open();
    const command = 'echo run >> side-effects.txt';
    // Distinct identities: no in-process sharing, so only the store's claim keeps the call from running twice.
    const ledgers = Array.from({ length: 8 }, (_, i) => new ToolLedger(calledOtherwise(db, `db${i}`)));
    // Eight open connections first on PostgreSQL (eight queries at once: none is idle to reuse), so the claims race
    // on the server rather than queue for connections.
    await Promise.all(ledgers.map(() => select('SELECT 1')));
    const outcomes = await Promise.allSettled(ledgers.map((l) => l.run(command, { cwd: dir })));
    expect(lines(join(dir, 'side-effects.txt'))).toEqual(['run']);
    expect(outcomes.filter((o) => o.status === 'fulfilled' && !o.value.replayed)).toHaveLength(1);
    // The others replayed the result, or (same process, the winner still running) found the call in doubt.
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(InDoubtToolCallError);
  });

  it('replays a result recorded between its read of a call in doubt and its claim, instead of running it again', async () => {
    const store = await open();
    const { db, dir } = store;
    const command = 'echo run >> side-effects.txt';
    await startedRow(store, command, here(deadPid()));
    const ledger = new ToolLedger(db);
    const claim = db.toolStore.claim.bind(db.toolStore);
    // The call's owner records its result (under its claim) just before this ledger's claim is written.
    vi.spyOn(db.toolStore, 'claim').mockImplementationOnce(async (...args) => {
      await store.exec(`UPDATE tool_calls SET status = 'completed', exit_code = 0, stdout = NULL, stderr = NULL,
        duration_ms = 1, completed_at = 0, expires_at = NULL`);
      return claim(...args);
    });
    expect(await ledger.run(command, { cwd: dir, onInDoubt: 'execute' })).toMatchObject({
      exitCode: 0,
      replayed: true,
    });
    expect(existsSync(join(dir, 'side-effects.txt'))).toBe(false);
  });

  it('runs a call again once its result expired by the store’s clock; cleanup() removes expired results', async () => {
    const { db, dir, backdate, count } = await open();
    const ledger = new ToolLedger(db, { ttlMs: 1000 });
    const command = 'echo run >> side-effects.txt';
    await ledger.run(command, { cwd: dir });
    await ledger.run('true', { cwd: dir });
    expect(await ledger.cleanup()).toBe(0);
    await backdate('tool_calls', 'expires_at', 1000);
    expect((await ledger.run(command, { cwd: dir })).replayed).toBe(false);
    expect(lines(join(dir, 'side-effects.txt'))).toEqual(['run', 'run']);
    expect(await ledger.cleanup()).toBe(1);
    expect(await count('tool_calls')).toBe(1);
  });

  it('refuses to start a call under a lease that was taken over, and runs nothing; the holder’s call is logged', async () => {
    const store = await open();
    const { db, dir } = store;
    const { leaseA, takeOver } = await twoWorkers(store);
    const leaseB = await takeOver();
    const ledger = new ToolLedger(db);
    const command = 'echo ran >> side-effects.txt';
    await expect(ledger.run(command, { cwd: dir, lease: leaseA })).rejects.toThrow(
      /tool-start on work item "job" by worker "a" with epoch 1 refused: the item is now at epoch 2/,
    );
    expect(existsSync(join(dir, 'side-effects.txt'))).toBe(false);
    expect(await rows(store)).toEqual([]);
    expect(await ledger.run(command, { cwd: dir, lease: leaseB })).toMatchObject({ exitCode: 0, replayed: false });
    expect(await rows(store)).toMatchObject([{ status: 'completed', lease_item: 'job', lease_epoch: 2 }]);
    expect(await store.leaseLog('job')).toEqual(['acquire@1:a', 'acquire@2:b', 'tool-start@2:b', 'tool-finish@2:b']);
  });

  it('refuses the result when the lease was taken over while the command ran; the new holder finds it in doubt', async () => {
    const store = await open();
    const { db, dir } = store;
    const { leaseA, takeOver } = await twoWorkers(store);
    const ledger = new ToolLedger(db);
    const side = join(dir, 'side-effects.txt');
    const command = `echo ran >> ${side}; while [ ! -e gate ]; do sleep 0.01; done`;
    const outcome = ledger.run(command, { cwd: dir, lease: leaseA }).catch((e: unknown) => e);
    await until(() => lines(side).length === 1);
    expect(await rows(store)).toMatchObject([{ status: 'started', lease_item: 'job', lease_epoch: 1 }]);
    const leaseB = await takeOver();
    writeFileSync(join(dir, 'gate'), '');
    const error = await outcome;
    expect(error).toBeInstanceOf(LeaseLostError);
    expect(String(error)).toMatch(
      /tool-finish on work item "job" by worker "a" with epoch 1 refused: the item is now at epoch 2/,
    );
    // Disowned: in doubt at once, not "in progress" while this process lives.
    expect(await rows(store)).toMatchObject([{ status: 'started', lease_epoch: 1, owner_pid: null }]);
    await expect(ledger.run(command, { cwd: dir, lease: leaseB })).rejects.toThrow(InDoubtToolCallError);
    expect(lines(side)).toEqual(['ran']);
    expect(await store.leaseLog('job')).toEqual(['acquire@1:a', 'tool-start@1:a', 'acquire@2:b']);
  });

  it('shares one execution between concurrent identical calls through ledgers of this process', async () => {
    const { db, dir } = await open();
    const side = join(dir, 'side-effects.txt');
    const command = gatedCommand(side, join(dir, 'gate'));
    const first = new ToolLedger(db).run(command, { cwd: dir });
    const more = [1, 2].map(() => new ToolLedger(db).run(command, { cwd: dir }));
    await until(() => lines(side).length === 1 && idle(db));
    writeFileSync(join(dir, 'gate'), '');
    const results = await Promise.all([first, ...more]);
    expect(lines(side)).toHaveLength(1);
    for (const result of results) expect(result).toEqual(await first);
  });

  it('replays, not in doubt, a call of this process that finished while another caller was reading it', async () => {
    const { db, dir } = await open();
    const side = join(dir, 'side-effects.txt');
    const command = gatedCommand(side, join(dir, 'gate'));
    const first = new ToolLedger(db).run(command, { cwd: dir });
    await until(() => lines(side).length === 1);
    // The second caller finds no result yet (the call is running here), and resumes only once the first has finished
    // and stopped sharing it.
    const recorded = db.toolStore.recorded.bind(db.toolStore);
    let read = (): void => undefined;
    const hasRead = new Promise<void>((resolve) => (read = resolve));
    vi.spyOn(db.toolStore, 'recorded').mockImplementationOnce(async (key) => {
      const row = await recorded(key);
      read();
      await first;
      return row;
    });
    const second = new ToolLedger(db).run(command, { cwd: dir }).catch((e: unknown) => e);
    await hasRead;
    writeFileSync(join(dir, 'gate'), '');
    expect(summary(await second)).toEqual({ ...(summary(await first) as object), replayed: true });
    expect(lines(side)).toHaveLength(1);
  });

  it('shares a call in flight by the database, whatever name it was opened under (symlink; 127.0.0.1 and localhost)', async () => {
    const { db, dir, alias } = await open();
    const other = await alias();
    expect(other.identity).toBe(db.identity);
    const side = join(dir, 'side-effects.txt');
    const gate = join(dir, 'gate');
    const calls = [db, other].map((h) =>
      new ToolLedger(h).run(gatedCommand(side, gate), { cwd: dir, onInDoubt: 'execute' }),
    );
    // Every execution that will happen has begun once each handle has decided whether to run the command.
    await until(() => lines(side).length >= 1 && idle(db) && idle(other));
    writeFileSync(gate, '');
    const [viaName, viaAlias] = (await Promise.allSettled(calls)).map((s) =>
      summary(s.status === 'fulfilled' ? s.value : s.reason),
    );
    const executions = lines(side);
    const result = { exitCode: 0, replayed: false, stdout: `executed by ${executions[0]}\n` };
    expect({ executions, viaName, viaAlias }).toEqual({
      executions: [executions[0]],
      viaName: result,
      viaAlias: result,
    });
    // Recorded once: a later call through either name replays it.
    expect(summary(await new ToolLedger(other).run(gatedCommand(side, gate), { cwd: dir }))).toEqual({
      ...result,
      replayed: true,
    });
  });

  it('does not share calls between two databases: each runs its own', async () => {
    const one = await open();
    const two = await open();
    expect(two.db.identity).not.toBe(one.db.identity);
    const side = join(one.dir, 'side-effects.txt');
    const gate = join(one.dir, 'gate');
    const calls = [one.db, two.db].map((h) => new ToolLedger(h).run(gatedCommand(side, gate), { cwd: one.dir }));
    await until(() => lines(side).length === 2);
    writeFileSync(gate, '');
    const results = (await Promise.all(calls)).map(summary);
    expect(results).toEqual(
      expect.arrayContaining(
        lines(side).map((pid) => ({ exitCode: 0, replayed: false, stdout: `executed by ${pid}\n` })),
      ),
    );
  });
});
