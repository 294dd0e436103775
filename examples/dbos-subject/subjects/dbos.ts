import { defineSubject, loadedOnUse } from 'agentos-chaos/harness';

export default defineSubject({
  name: 'dbos',
  summary: 'DBOS Transact 5.3 (@dbos-inc/dbos-sdk) on the run’s PostgreSQL server, its system tables in a fresh schema',
  peer: true,
  // No leases: DBOS has no fencing epochs, so the criteria that judge them are reported not applicable. 'server':
  // DBOS's connections carry the harness's application names, so the server faults strike them too.
  capabilities: ['checkpoints', 'tasks', 'integrity', 'server'],
  server: 'postgres',
  // DBOS is imported in a run that uses this subject, not when the declarations are validated.
  ...loadedOnUse(() => import('../src/parts.js').then((m) => m.parts)),
});
