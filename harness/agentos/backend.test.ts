import { describe, expect, it } from 'vitest';
import { statePartsFor } from './backend.js';

describe('statePartsFor', () => {
  it('reads every part when the checks are not named', () => {
    expect(statePartsFor(undefined)).toEqual({ checkpoints: true, log: true });
  });

  it('leaves out the checkpoint rows and the lease log when only counts are judged', () => {
    expect(statePartsFor(new Set(['work-items', 'event-field']))).toEqual({ checkpoints: false, log: false });
  });

  it('reads the lease log for the stale-epoch check and the checkpoints for the checkpoint checks', () => {
    expect(statePartsFor(new Set(['no-stale-epoch-writes']))).toEqual({ checkpoints: false, log: true });
    expect(statePartsFor(new Set(['sequence-gap-free', 'integrity-ok']))).toEqual({ checkpoints: true, log: false });
  });
});
