import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { History } from '../../harness/history.js';
import { CheckpointManager, openDatabase } from '../../src/index.js';
import { useTempDir } from '../helpers/temp-db.js';
import { useWorkers } from '../helpers/workers.js';

/** Real worker processes against one database file; every process is reaped after each test, pass or fail. */
describe('several processes on one database', () => {
  const tempDir = useTempDir();
  const start = useWorkers();

  it('gives unique, gap-free sequence numbers to commits from 6 processes to one task, losing none', async () => {
    const dir = tempDir();
    openDatabase(join(dir, 'agentos.db')).close();
    const history = new History();
    const workers = Array.from({ length: 6 }, (_, i) =>
      start(dir, history, `w${i}`, 'checkpoint-writer', { taskId: 'shared', count: 25 }),
    );
    const exits = await Promise.all(workers.map((w) => w.exited));
    expect(exits.every((e) => e.exitCode === 0)).toBe(true);
    const db = openDatabase(join(dir, 'agentos.db'));
    const seqs = (await new CheckpointManager(db).list('shared')).map((c) => c.seq);
    db.close();
    expect(seqs).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    const acked = history
      .select('checkpoint.committed')
      .map((e) => e.seq ?? 0)
      .sort((a, b) => a - b);
    expect(acked).toEqual(seqs);
  });

  it('resumes a task killed with SIGKILL in a new process without re-running committed steps', async () => {
    const dir = tempDir();
    openDatabase(join(dir, 'agentos.db')).close();
    const history = new History();
    const params = { taskId: 'job', steps: 6, workRounds: 20000 };
    const first = start(dir, history, 'first', 'task-runner', params, (w, e) => {
      if (e.kind === 'step.finished' && e.step === 'step-2') w.signal('SIGKILL');
    });
    expect((await first.exited).signal).toBe('SIGKILL');
    const committedBeforeKill = history.select('step.finished').map((e) => e.step);
    expect(committedBeforeKill.slice(0, 2)).toEqual(['step-1', 'step-2']);

    // The dead worker's task lease (60 s) still holds the task: the next runner's clock is moved past it, no waiting.
    const second = start(dir, history, 'second', 'task-runner', { ...params, waitForGo: true });
    second.send({ cmd: 'skew', ms: 61_000 });
    second.send({ cmd: 'go' });
    expect((await second.exited).exitCode).toBe(0);
    const finished = history.select('task.finished')[0];
    expect(finished?.status).toBe('succeeded');
    expect(finished?.executed.some((s) => committedBeforeKill.includes(s))).toBe(false);
    const log = readFileSync(join(dir, 'steps.log'), 'utf8').trim().split('\n');
    for (const step of committedBeforeKill) expect(log.filter((l) => l.startsWith(`${step} `))).toHaveLength(1);
    const db = openDatabase(join(dir, 'agentos.db'));
    expect((await new CheckpointManager(db).list('job')).map((c) => c.step)).toEqual([
      'step-1',
      'step-2',
      'step-3',
      'step-4',
      'step-5',
      'step-6',
    ]);
    db.close();
  });

  it('runs again, once, a step killed after its side effect and before its checkpoint (waitAfterEffect)', async () => {
    const dir = tempDir();
    openDatabase(join(dir, 'agentos.db')).close();
    const history = new History();
    const params = { taskId: 'job', steps: 4, workRounds: 0 };
    // The kill strikes step-3 with its side effect done and its checkpoint not written.
    const first = start(dir, history, 'first', 'task-runner', { ...params, waitAfterEffect: 3 }, (w, e) => {
      if (e.kind === 'step.effect') w.signal('SIGKILL');
    });
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(history.select('step.effect').map((e) => e.step)).toEqual(['step-3']);

    const second = start(dir, history, 'second', 'task-runner', { ...params, waitForGo: true });
    second.send({ cmd: 'skew', ms: 61_000 });
    second.send({ cmd: 'go' });
    expect((await second.exited).exitCode).toBe(0);
    expect(history.select('task.finished')[0]?.executed).toEqual(['step-3', 'step-4']);
    const log = readFileSync(join(dir, 'steps.log'), 'utf8').trim().split('\n');
    expect(log).toEqual(['step-1 first', 'step-2 first', 'step-3 first', 'step-3 second', 'step-4 second']);
    // Both executions of step-3 carried the same idempotency key: the "API" applied it once.
    expect(
      readFileSync(join(dir, 'effects', 'step-3.log'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(1);
  });
});
