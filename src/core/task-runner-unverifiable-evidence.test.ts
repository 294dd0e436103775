import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { CheckpointManager, TaskRunner, type TaskStep } from '../index.js';

interface S {
  trail: string[];
}

/** Steps that record each run in `runs`. */
function steps(runs: string[]): TaskStep<S>[] {
  return ['a', 'b'].map((name) => ({ name, run: (s: S) => (runs.push(name), { trail: [...s.trail, name] }) }));
}

// Items no verifier can check: the API refuses to build them, so they are written as stored rows.
const UNCHECKABLE: [string, unknown, RegExp][] = [
  [
    'a NUL byte in a command-exit argv',
    { items: [{ kind: 'command-exit', argv: ['touch', 'ran\0x'] }] },
    /item 0 \(command-exit\): argv\[1\] contains a NUL byte/,
  ],
  [
    'a NUL byte in a shell command',
    { items: [{ kind: 'command-exit', command: 'touch ran\0x', shell: true }] },
    /item 0 \(command-exit\): command contains a NUL byte/,
  ],
  ['stored text that is not JSON', '{"items": [', /stored evidence is not valid JSON/],
  ['a null item', { items: [null] }, /item 0 \(unknown\): an evidence item must be an object, got null/],
  ['items that are not a list', { items: 'touch ran' }, /evidence must be \{ items: \[\.\.\.\] \}/],
];

describeEachStore('TaskRunner with stored evidence that cannot be checked', (open) => {
  it.each(UNCHECKABLE)('fails the task with the reason for %s, never leaving it stuck', async (_what, pack, reason) => {
    const { db, dir } = await open();
    await db.checkpointStore.insert({
      taskId: 't',
      step: 'a',
      stateJson: JSON.stringify({ trail: ['a'] }),
      evidenceJson: typeof pack === 'string' ? pack : JSON.stringify(pack),
      verified: false,
      verificationJson: null,
    });
    const cm = new CheckpointManager(db, { baseDir: dir });
    const runs: string[] = [];
    const runner = new TaskRunner(db, cm, { steps: steps(runs), initialState: { trail: [] } });

    const result = await runner.run('t');
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(reason);
    expect(await runner.status('t')).toEqual({ status: 'failed', error: result.error });
    expect(runs).toEqual([]);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
    // A later run returns the recorded end, not a new rejection.
    expect((await runner.run('t')).status).toBe('failed');
  });
});
