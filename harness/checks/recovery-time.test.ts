import { describe, expect, it } from 'vitest';
import { History } from '../history.js';
import type { AnyEvent } from '../workers/protocol.js';
import { runCheck } from './index.js';

// The history stamps each entry with its clock: here a clock the test sets.
const clock = { now: 0 };

const spec = { check: 'time-to-resume', fault: 'sigkill', resumer: 'resumer', maxMs: 1000 } as const;
const kill: AnyEvent = { kind: 'fault.injected', fault: 'sigkill', target: 'first', detail: '', affected: 1 };
const step = (name: string): AnyEvent => ({ kind: 'step.started', taskId: 't', step: name });

/** A history of [time, worker, event] entries, each stamped at its time. */
function historyOf(entries: [number, string, AnyEvent][]): History {
  const history = new History(() => clock.now);
  history.registerWorker('first-1', 'first');
  history.registerWorker('resumer-1', 'resumer');
  for (const [t, worker, event] of entries) {
    clock.now = t;
    history.append(worker, event);
  }
  return history;
}

const judge = (history: History) => runCheck(spec, { history } as Parameters<typeof runCheck>[1]);

describe('time to resume', () => {
  it("runs from the fault's injection to the resumer's first step, not the killed worker's", () => {
    const outcome = judge(
      historyOf([
        [1000, 'first-1', step('step-3')],
        [1010, 'harness', kill],
        [1030, 'first-1', step('step-4')],
        [1250, 'resumer-1', step('step-3')],
        [1400, 'resumer-1', step('step-4')],
      ]),
    );
    expect(outcome).toMatchObject({ valid: true, measured: '240 ms', data: { resumeMs: 240 } });
  });

  it('fails past its bound, and when the resumer never started a step', () => {
    expect(
      judge(
        historyOf([
          [0, 'harness', kill],
          [1001, 'resumer-1', step('step-3')],
        ]),
      ),
    ).toMatchObject({
      valid: false,
      measured: '1001 ms',
    });
    expect(judge(historyOf([[0, 'harness', kill]]))).toMatchObject({
      valid: false,
      measured: '"resumer" never started a step after the sigkill',
    });
  });

  it('cannot judge a run whose fault was never injected', () => {
    expect(judge(historyOf([[5, 'resumer-1', step('step-1')]])).valid).toBe('unknown');
  });
});
