import { LAYER_CAPABILITIES, defineSubject, loadedOnUse } from '../subject.js';

export default defineSubject({
  name: 'agentos-sqlite',
  summary: 'this layer on its embedded SQLite file (the default)',
  capabilities: [...LAYER_CAPABILITIES, 'sweep', 'langgraph', 'sqlite-file'],
  ...loadedOnUse(async () =>
    (await import('../agentos/driver.js')).agentosParts((await import('../agentos/sqlite-store.js')).backend),
  ),
});
