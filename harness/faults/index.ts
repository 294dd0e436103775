import type { Fault, FaultKind } from '../schema.js';
import { backup } from './backup.js';
import { clockSkew } from './clock-skew.js';
import { crashPoint } from './crash-point.js';
import { diskFull } from './disk-full.js';
import type { Injector } from './injector.js';
import { leaseExpiry } from './lease-expiry.js';
import { lockContention } from './lock-contention.js';
import { network } from './network.js';
import { pause } from './pause.js';
import { pgCrash } from './pg-crash.js';
import { pgTerminate } from './pg-terminate.js';
import { powerLoss } from './power-loss.js';
import { sigkill } from './sigkill.js';

/** Every fault kind's injector; a kind without one is a compile error. */
export const injectors: { [K in FaultKind]: Injector<Extract<Fault, { kind: K }>> } = {
  sigkill,
  pause,
  'clock-skew': clockSkew,
  'lease-expiry': leaseExpiry,
  'lock-contention': lockContention,
  'crash-point': crashPoint,
  backup,
  'disk-full': diskFull,
  'power-loss': powerLoss,
  'pg-crash': pgCrash,
  'pg-terminate': pgTerminate,
  network,
};

export function injectorFor<F extends Fault>(fault: F): Injector<F> {
  return injectors[fault.kind] as unknown as Injector<F>;
}
