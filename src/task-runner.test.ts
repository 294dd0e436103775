import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDb } from '../test/helpers/temp-db.js';
import { CheckpointManager, TaskError, TaskRunner, evidence, type TaskStep } from './index.js';

type S = { trail: string[] };

function steps(names: string[], runs: string[], failOn?: string): TaskStep<S>[] {
  return names.map((name) => ({
    name,
    run: (state: S) => {
      runs.push(name);
      if (name === failOn) throw new Error(`${name} exploded`);
      return { trail: [...state.trail, name] };
    },
  }));
}

describe('TaskRunner', () => {
  const tempDb = useTempDb();

  it('runs every step in order, checkpointing each, and ends succeeded', async () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    const runs: string[] = [];
    const runner = new TaskRunner(db, cm, { steps: steps(['a', 'b', 'c'], runs), initialState: { trail: [] } });
    const result = await runner.run('t1');
    expect(result).toMatchObject({ status: 'succeeded', state: { trail: ['a', 'b', 'c'] }, resumedAfter: null, executed: ['a', 'b', 'c'] });
    expect(cm.list('t1').map((c) => [c.seq, c.step])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
    expect(runner.status('t1')?.status).toBe('succeeded');
  });

  it('resumes after the last checkpoint, with its state, never re-running a committed step', async () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    const runs: string[] = [];
    const failing = new TaskRunner(db, cm, { steps: steps(['a', 'b', 'c', 'd'], runs, 'c'), initialState: { trail: [] } });
    expect(await failing.run('t')).toMatchObject({ status: 'failed', error: 'step "c": c exploded' });
    // A failed task is terminal: running it again returns the failure without executing anything.
    expect((await failing.run('t')).status).toBe('failed');
    expect(runs).toEqual(['a', 'b', 'c']);

    // Simulate a crash instead: the row says running, checkpoints exist for a and b.
    db.sqlite.prepare("UPDATE tasks SET status = 'running' WHERE id = 't'").run();
    const resumed = new TaskRunner(db, cm, { steps: steps(['a', 'b', 'c', 'd'], runs), initialState: { trail: [] } });
    const result = await resumed.run('t');
    expect(result).toMatchObject({ status: 'succeeded', resumedAfter: 'b', executed: ['c', 'd'], state: { trail: ['a', 'b', 'c', 'd'] } });
    expect(runs).toEqual(['a', 'b', 'c', 'c', 'd']);
  });

  it('fails the task when a step’s evidence does not verify', async () => {
    const { db, dir } = tempDb();
    const cm = new CheckpointManager(db, { baseDir: dir });
    const runner = new TaskRunner(db, cm, {
      initialState: { trail: [] },
      steps: [
        { name: 'write', run: (s: S) => (writeFileSync(join(dir, 'out.txt'), 'x'), s), evidence: () => evidence.pack(evidence.fileExists('out.txt')) },
        { name: 'claim', run: (s: S) => s, evidence: () => evidence.pack(evidence.fileExists('never-written.txt')) },
        { name: 'after', run: () => expect.unreachable('must not run after a failed verification') },
      ],
    });
    const result = await runner.run('t');
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/step "claim": checkpoint \d+ failed verification: item 0 \(file-exists\): "never-written.txt" does not exist/);
  });

  it('verifies an unverified last checkpoint before resuming, and fails rather than re-running it', async () => {
    const { db, dir } = tempDb();
    const lazy = new CheckpointManager(db, { baseDir: dir, autoVerify: false });
    lazy.commit(lazy.begin('t', 'a', { trail: ['a'] }), evidence.pack(evidence.fileExists('gone.txt')));
    db.sqlite.prepare("INSERT INTO tasks (id, status, created_at, updated_at) VALUES ('t', 'running', 0, 0)").run();
    const runs: string[] = [];
    const result = await new TaskRunner(db, lazy, { steps: steps(['a', 'b'], runs), initialState: { trail: [] } }).run('t');
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/failed verification/);
    expect(runs).toEqual([]);
  });

  it('rejects duplicate step names and a checkpoint for an unknown step', async () => {
    const { db } = tempDb();
    const cm = new CheckpointManager(db);
    expect(() => new TaskRunner(db, cm, { steps: steps(['a', 'a'], []), initialState: { trail: [] } })).toThrow(TaskError);
    cm.commit(cm.begin('t', 'zzz', { trail: [] }));
    await expect(new TaskRunner(db, cm, { steps: steps(['a'], []), initialState: { trail: [] } }).run('t')).rejects.toThrow(
      /checkpoint for step "zzz", which its definition does not contain/,
    );
  });
});
