import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS, type ContractDb } from '../../test/helpers/backends.js';
import { until } from '../../test/helpers/until.js';

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Each execution appends its shell's pid to `side`, waits until `gate` exists, and prints the pid. */
function gatedCommand(side: string, gate: string): string {
  return `echo $$ >> ${side}; while [ ! -e ${gate} ]; do sleep 0.01; done; echo "executed by $$"`;
}

/**
 * Starts the same call through each handle at once (onInDoubt 'execute') and lets it end once every execution that
 * will happen has begun: each handle has decided whether to run the command (SQLite decides synchronously; on
 * PostgreSQL no statement of a handle is left running or waiting). Returns what each call settled with.
 */
async function sameCallAtOnce(handles: ContractDb[], dir: string, side: string) {
  const gate = join(dir, 'gate');
  const command = gatedCommand(side, gate);
  const calls = handles.map((h) => h.tools().run(command, { cwd: dir, onInDoubt: 'execute' }));
  await until(() => lines(side).length >= 1 && handles.every((h) => h.idle()));
  writeFileSync(gate, '');
  const settled = await Promise.allSettled(calls);
  return settled.map((s): unknown => (s.status === 'fulfilled' ? s.value : (s.reason as unknown)));
}

describe.each(BACKENDS)('$name: a tool call in flight in this process', ({ skip, use }) => {
  describe.skipIf(skip !== undefined)('is shared by the database, whatever name it was opened under', () => {
    const open = use();

    it('runs once when started at once through two names of one database (symlink; 127.0.0.1 and localhost)', async () => {
      const db = await open();
      const alias = await db.alias();
      const side = join(db.dir, 'side-effects.txt');
      const [viaName, viaAlias] = await sameCallAtOnce([db, alias], db.dir, side);
      const executions = lines(side);
      const result = { exitCode: 0, replayed: false, stdout: `executed by ${executions[0]}\n` };
      expect({ executions, viaName: summary(viaName), viaAlias: summary(viaAlias) }).toEqual({
        executions: [executions[0]],
        viaName: result,
        viaAlias: result,
      });
      expect(viaAlias).toEqual(viaName);
      // Recorded once: a later call through either name replays it.
      const again = await alias.tools().run(gatedCommand(side, join(db.dir, 'gate')), { cwd: db.dir });
      expect(summary(again)).toEqual({ ...result, replayed: true });
      expect(lines(side)).toHaveLength(1);
    });

    it('is not shared between two databases: each runs its own call', async () => {
      const one = await open();
      const two = await open();
      const side = join(one.dir, 'side-effects.txt');
      const [first, second] = await sameCallAtOnce([one, two], one.dir, side);
      const executions = lines(side);
      expect(executions).toHaveLength(2);
      expect([summary(first), summary(second)]).toEqual(
        expect.arrayContaining(
          executions.map((pid) => ({ exitCode: 0, replayed: false, stdout: `executed by ${pid}\n` })),
        ),
      );
    });

    it('gives each handle the identity of its database: the same through an alias, another for another database', async () => {
      const db = await open();
      const alias = await db.alias();
      const other = await open();
      expect(db.identity).toEqual(expect.any(String));
      expect(alias.identity).toBe(db.identity);
      expect(other.identity).not.toBe(db.identity);
    });
  });
});

/** What a call settled with, short enough to print. */
function summary(outcome: unknown): unknown {
  if (outcome instanceof Error) return `${outcome.name}: ${outcome.message}`;
  const { exitCode, stdout, replayed } = outcome as { exitCode: number; stdout: string; replayed: boolean };
  return { exitCode, stdout, replayed };
}
