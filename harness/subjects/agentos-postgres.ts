import { LAYER_CAPABILITIES, defineSubject, loadedOnUse } from '../subject.js';

export default defineSubject({
  name: 'agentos-postgres',
  summary: 'this layer on PostgreSQL, a fresh schema per run',
  capabilities: [...LAYER_CAPABILITIES, 'sweep', 'langgraph', 'server'],
  server: 'postgres',
  ...loadedOnUse(async () =>
    (await import('../agentos/driver.js')).agentosParts((await import('../agentos/pg-store.js')).backend),
  ),
});
