// A worker process: runs one workload on the run's subject (opened with a skewable clock), streams events on stdout.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SkewedClock, systemClock } from '../../src/index.js';
import {
  DEFAULT_SUBJECT,
  SUBJECT_VARIABLE,
  type SubjectDefinition,
  type SubjectStore,
  type WorkerSubjectConfig,
} from '../subject.js';
import { importDefault } from '../import-default.js';
import { useTypeScript } from '../typescript.js';
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
  if (command.cmd === 'skew') clock.skew(command.ms);
  // Just past `t` by this clock: a lease that expires at t is expired for this worker.
  else if (command.cmd === 'skew-past') clock.skew(Math.max(0, command.t + 1 - clock.now()));
  else return false;
  channel.emit({ kind: 'clock.skewed', offsetMs: clock.offsetMs });
  return true;
});

try {
  const load = workloads[values.workload as WorkloadName] as (typeof workloads)[WorkloadName] | undefined;
  if (!load) throw new Error(`unknown workload "${values.workload}"; known: ${Object.keys(workloads).join(', ')}`);
  const { db: dbPath, 'worker-id': workerId, 'run-dir': runDir } = values;
  if (!dbPath || !workerId || !runDir) throw new Error('--db, --worker-id and --run-dir are required');
  const workload = await load();
  // The harness validated and resolved the parameters before starting this process.
  const params: unknown = JSON.parse(values.params);
  const variable = process.env[SUBJECT_VARIABLE];
  // Unset: the default subject, this layer on the SQLite file the harness named with --db.
  const subject: WorkerSubjectConfig = variable
    ? (JSON.parse(variable) as WorkerSubjectConfig)
    : {
        name: DEFAULT_SUBJECT,
        runDir,
        module: fileURLToPath(new URL('../subjects/agentos-sqlite.js', import.meta.url)),
      };
  let store: Promise<SubjectStore> | undefined;
  const openSubject = (): Promise<SubjectStore> => {
    store ??= importSubject(subject.module).then((definition) =>
      definition.open(subject, {
        workerId,
        dbPath,
        clock,
        durability: values.durability === 'full' ? 'full' : 'normal',
      }),
    );
    // A failed open is not kept: the workload may try again (the server may be restarting).
    store.catch(() => (store = undefined));
    return store;
  };
  channel.emit({ kind: 'worker.ready', pid: process.pid });
  const summary = await (workload.run as (c: unknown, p: unknown) => Promise<Record<string, number>>)(
    { workerId, runDir, channel, openSubject },
    params,
  );
  if (store) await (await store).close();
  channel.emit({ kind: 'worker.done', summary });
  process.exit(0);
} catch (error) {
  channel.emit({
    kind: 'worker.error',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exit(1);
}

/** The subject file's definition; a TypeScript file (a user's subject) is loaded through tsx. */
async function importSubject(file: string): Promise<SubjectDefinition> {
  if (/\.[cm]?ts$/.test(file)) await useTypeScript();
  return (await importDefault(file)) as SubjectDefinition;
}
