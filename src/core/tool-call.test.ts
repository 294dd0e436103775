import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { lines } from '../../test/helpers/lines.js';
import { describeEachStore } from '../../test/helpers/stores.js';
import { INHERITED_ENV, ToolLedger } from './tool-ledger.js';

/** Runs `body` with process.env[name] restored afterwards. */
async function withVariable(name: string, body: (set: (value: string) => void) => Promise<void>): Promise<void> {
  try {
    await body((value) => vi.stubEnv(name, value));
  } finally {
    vi.unstubAllEnvs();
  }
}

describeEachStore('A tool call’s identity', (open) => {
  it('treats a different cwd or env as a different call', async () => {
    const { db, dir } = await open();
    const ledger = new ToolLedger(db);
    await ledger.run('echo $X', { cwd: dir, env: { X: '1' } });
    expect(await ledger.run('echo $X', { cwd: dir, env: { X: '2' } })).toMatchObject({
      stdout: '2\n',
      replayed: false,
    });
    expect(await ledger.run('echo $X', { cwd: dir, env: { X: '1' } })).toMatchObject({ stdout: '1\n', replayed: true });
    expect(await ledger.run('echo $X', { cwd: '/', env: { X: '1' } })).toMatchObject({ replayed: false });
  });

  it('keys a call by the environment the command really gets: the environment at the ledger’s creation, options.env on top', async () => {
    const { db, dir, count } = await open();
    const command = 'echo $AGENTOS_TEST_TARGET';
    await withVariable('AGENTOS_TEST_TARGET', async (set) => {
      // A variable commands should see is named in inheritEnv: then it is part of every call's identity.
      const inheritEnv = [...INHERITED_ENV, 'AGENTOS_TEST_TARGET'];
      set('staging');
      const staging = new ToolLedger(db, { inheritEnv });
      expect(await staging.run(command, { cwd: dir })).toMatchObject({ stdout: 'staging\n', replayed: false });
      // A process started with another environment (here: a ledger created after it changed) is another call.
      set('production');
      const production = new ToolLedger(db, { inheritEnv });
      expect(await production.run(command, { cwd: dir })).toMatchObject({ stdout: 'production\n', replayed: false });
      // options.env overriding the inherited value gives the child what the first call's child got: the same call.
      expect(await production.run(command, { cwd: dir, env: { AGENTOS_TEST_TARGET: 'staging' } })).toMatchObject({
        stdout: 'staging\n',
        replayed: true,
      });
      expect(production.keyOf(command, { cwd: dir, env: { AGENTOS_TEST_TARGET: 'staging' } })).toBe(
        staging.keyOf(command, { cwd: dir }),
      );
      // Setting a variable to the value it already has changes nothing.
      expect(production.keyOf(command, { cwd: dir, env: { AGENTOS_TEST_TARGET: 'production' } })).toBe(
        production.keyOf(command, { cwd: dir }),
      );
      // A change to process.env after the ledger was created reaches neither its commands nor its keys.
      set('elsewhere');
      expect(await production.run(command, { cwd: dir })).toMatchObject({ stdout: 'production\n', replayed: true });
      expect(await count('tool_calls')).toBe(2);
      expect(await production.forget(command, { cwd: dir })).toBe(true);
      expect(await production.run(command, { cwd: dir })).toMatchObject({ stdout: 'production\n', replayed: false });
    });
  });

  it('recognises the same call from a process whose environment differs in a variable the command does not get', async () => {
    // Found by the fault campaign: a worker restarted with one more variable (there, the crash point armed in the
    // first worker only) did not recognise the calls its predecessor had made, and ran them a second time.
    const { db, dir } = await open();
    const command = 'echo ran >> side-effects.txt';
    await withVariable('AGENTOS_TEST_UNRELATED', async (set) => {
      set('first process');
      expect((await new ToolLedger(db).run(command, { cwd: dir })).replayed).toBe(false);
      set('restarted process');
      expect((await new ToolLedger(db).run(command, { cwd: dir })).replayed).toBe(true);
      expect(lines(join(dir, 'side-effects.txt'))).toEqual(['ran']);
    });
  });

  it('takes its base environment from options.env when given', async () => {
    const { db, dir } = await open();
    const ledger = new ToolLedger(db, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ONLY: 'this' } });
    expect((await ledger.run('echo "$ONLY-$HOME"', { cwd: dir })).stdout).toBe('this-\n');
  });

  it('uses a caller-given key as the whole identity (command, cwd and env then do not matter)', async () => {
    const { db, dir, select } = await open();
    const ledger = new ToolLedger(db);
    const first = await ledger.run('echo one >> side-effects.txt; echo one', { cwd: dir, key: 'deploy-step' });
    const again = await ledger.run('echo two >> side-effects.txt', { cwd: '/', env: { X: '1' }, key: 'deploy-step' });
    expect(first.replayed).toBe(false);
    expect(again).toMatchObject({ stdout: 'one\n', replayed: true });
    expect(lines(join(dir, 'side-effects.txt'))).toEqual(['one']);
    expect((await select('SELECT key FROM tool_calls')).map((r) => r.key)).toEqual([
      ledger.keyOf('anything', { key: 'deploy-step' }),
    ]);
    expect(ledger.keyOf('echo one', { key: 'deploy-step' })).not.toBe(ledger.keyOf('echo one', { key: 'other' }));
    expect(await ledger.forget('anything', { key: 'deploy-step' })).toBe(true);
    expect(await select('SELECT key FROM tool_calls')).toEqual([]);
  });

  it('rejects an empty command', async () => {
    const { db } = await open();
    await expect(new ToolLedger(db).run('  ')).rejects.toThrow(/command must be a non-empty string/);
  });

  it.each([
    [{ onInDoubt: 'Throw' }, /onInDoubt must be 'throw' or 'execute', got "Throw"/],
    [{ env: { N: 1 } }, /env\.N must be a string, got number/],
    [{ cwd: 42 }, /cwd must be a string, got number/],
    [{ lease: {} }, /lease must be a Lease/],
    [{ timeoutMs: -1 }, /timeoutMs/],
  ])('refuses the run option %j by name, running nothing', async (options, message) => {
    const { db, dir, count } = await open();
    const ledger = new ToolLedger(db);
    await expect(ledger.run('echo ran >> effects.txt', { cwd: dir, ...(options as object) })).rejects.toThrow(message);
    expect(existsSync(join(dir, 'effects.txt'))).toBe(false);
    expect(await count('tool_calls')).toBe(0);
  });

  it('refuses ledger options by name', async () => {
    const { db } = await open();
    expect(() => new ToolLedger(db, { ttlMs: 0 })).toThrow(/ttlMs/);
    expect(() => new ToolLedger(db, { maxOutputBytes: -1 })).toThrow(/maxOutputBytes/);
  });
});
