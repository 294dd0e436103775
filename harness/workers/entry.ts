// A worker process: opens the database with a skewable clock, runs one workload, streams events on stdout.
import { parseArgs } from 'node:util';
import { SkewedClock, openDatabase, systemClock } from '../../src/index.js';
import {
  DEFAULT_SUBJECT,
  DRIVERS,
  SUBJECT_VARIABLE,
  type SubjectConfig,
  type SubjectStore,
} from '../subjects/subject.js';
import { WorkerChannel } from './channel.js';
import { workloads } from './workloads/index.js';
import type { WorkloadName } from './workloads/params.js';

const { values } = parseArgs({
  options: {
    workload: { type: 'string' },
    db: { type: 'string' },
    'worker-id': { type: 'string' },
    'run-dir': { type: 'string' },
    params: { type: 'string', default: '{}' },
    durability: { type: 'string', default: 'normal' },
  },
});

const clock = new SkewedClock(systemClock);
const channel = new WorkerChannel((command) => {
  if (command.cmd !== 'skew') return false;
  clock.skew(command.ms);
  channel.emit({ kind: 'clock.skewed', offsetMs: clock.offsetMs });
  return true;
});

try {
  const load = workloads[values.workload as WorkloadName] as (typeof workloads)[WorkloadName] | undefined;
  if (!load) throw new Error(`unknown workload "${values.workload}"; known: ${Object.keys(workloads).join(', ')}`);
  if (!values.db || !values['worker-id'] || !values['run-dir'])
    throw new Error('--db, --worker-id and --run-dir are required');
  const workload = await load();
  // The harness validated and resolved the parameters before starting this process.
  const params: unknown = JSON.parse(values.params);
  const db = openDatabase(values.db, {
    clock,
    durability: values.durability === 'full' ? 'full' : 'normal',
  });
  const runDir = values['run-dir'];
  const subject = JSON.parse(
    process.env[SUBJECT_VARIABLE] ?? JSON.stringify({ name: DEFAULT_SUBJECT }),
  ) as SubjectConfig;
  let store: Promise<SubjectStore> | undefined;
  const openSubject = (): Promise<SubjectStore> => {
    store ??= DRIVERS[subject.name]().then((driver) =>
      driver.open(subject, { db, runDir, workerId: values['worker-id'] ?? '' }),
    );
    // A failed open is not kept: the workload may try again (the server may be restarting).
    store.catch(() => (store = undefined));
    return store;
  };
  channel.emit({ kind: 'worker.ready', pid: process.pid });
  const summary = await (workload.run as (c: unknown, p: unknown) => Promise<Record<string, number>>)(
    { db, clock, workerId: values['worker-id'], runDir, channel, openSubject },
    params,
  );
  if (store) await (await store).close();
  db.close();
  channel.emit({ kind: 'worker.done', summary });
  process.exit(0);
} catch (error) {
  channel.emit({
    kind: 'worker.error',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exit(1);
}
