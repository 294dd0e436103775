import { describe, expect, it } from 'vitest';
import { History } from './history.js';
import { seededRandom } from './random.js';
import { Triggers } from './triggers.js';

function setup(seed = 1) {
  const history = new History();
  history.registerWorker('writer-1', 'writer');
  history.registerWorker('writer-2', 'writer');
  const triggers = new Triggers(history, seededRandom(seed));
  const emit = (worker: string, seq: number) =>
    triggers.observe(history.append(worker, { kind: 'checkpoint.committed', taskId: 't', seq, id: seq, latencyMs: 0 }));
  return { history, triggers, emit };
}

describe('Triggers', () => {
  it('fires on the count-th matching event of a group, once', () => {
    const { triggers, emit } = setup();
    const fired: number[] = [];
    let seq = 0;
    triggers.on({ after: { kind: 'checkpoint.committed', worker: 'writer', count: 3 } }, 'x', () => fired.push(seq));
    for (seq = 1; seq <= 5; seq++) emit(seq % 2 ? 'writer-1' : 'writer-2', seq);
    expect(fired).toEqual([3]);
  });

  it('ignores events from other workers and with other fields', () => {
    const { triggers, emit } = setup();
    let fired = 0;
    triggers.on(
      { after: { kind: 'checkpoint.committed', worker: 'writer-2', where: { taskId: 't' }, count: 2 } },
      'x',
      () => fired++,
    );
    emit('writer-1', 1);
    emit('writer-1', 2);
    emit('writer-2', 3);
    expect(fired).toBe(0);
    expect(triggers.waiting).toEqual(['x (saw 1/2 checkpoint.committed)']);
    emit('writer-2', 4);
    expect(fired).toBe(1);
  });

  it('resolves a random count from the seed: the same seed gives the same point', () => {
    const pick = (seed: number) =>
      setup(seed).triggers.on(
        { after: { kind: 'checkpoint.committed', count: { min: 20, max: 80 } } },
        'x',
        () => undefined,
      );
    expect(pick(7)).toBe(pick(7));
    const picks = [1, 2, 3, 4, 5, 6].map(pick);
    expect(picks.every((n) => n >= 20 && n <= 80)).toBe(true);
    expect(new Set(picks).size).toBeGreaterThan(1);
  });

  it('reports a failing action instead of throwing into the event handler', () => {
    const history = new History();
    const errors: string[] = [];
    const triggers = new Triggers(history, seededRandom(1), (label, error) =>
      errors.push(`${label}: ${(error as Error).message}`),
    );
    triggers.on({ after: { kind: 'lease.none', count: 1 } }, 'explode', () => {
      throw new Error('boom');
    });
    expect(() => triggers.observe(history.append('w', { kind: 'lease.none' }))).not.toThrow();
    expect(errors).toEqual(['explode: boom']);
  });

  it("runs 'start' actions at once", () => {
    let ran = false;
    setup().triggers.on('start', 'x', () => (ran = true));
    expect(ran).toBe(true);
  });

  it('says in words what an action still waits for, and nothing once it fired', () => {
    const { triggers, emit } = setup();
    triggers.on(
      { after: { kind: 'checkpoint.committed', worker: 'writer', where: { taskId: 't' }, count: 2 } },
      'start resumer',
      () => undefined,
    );
    triggers.on({ atMs: 60_000 }, 'inject pause', () => undefined);
    emit('writer-1', 1);
    expect(triggers.waitingFor('start resumer')).toBe('checkpoint.committed of "writer" with taskId "t" (seen 1 of 2)');
    expect(triggers.waitingFor('inject pause')).toBe('60000 ms after the start (the run ended first)');
    emit('writer-2', 2);
    expect(triggers.waitingFor('start resumer')).toBeUndefined();
    triggers.cancel();
  });

  it('fires nothing once cancelled, an event-triggered action included (a worker reaped at teardown starts no group)', () => {
    const { triggers, emit } = setup();
    let fired = 0;
    triggers.on(
      { after: { kind: 'checkpoint.committed', worker: 'writer-1', count: 1 } },
      'start resumer',
      () => fired++,
    );
    triggers.cancel();
    emit('writer-1', 1);
    expect(fired).toBe(0);
  });
});
