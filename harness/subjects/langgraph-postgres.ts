import { defineSubject, loadedOnUse } from '../subject.js';

export default defineSubject({
  name: 'langgraph-postgres',
  summary: "LangGraph's PostgresSaver, a fresh schema per run",
  peer: true,
  capabilities: ['checkpoints', 'integrity', 'server'],
  server: 'postgres',
  ...loadedOnUse(async () => (await import('../langgraph/postgres.js')).langgraphPostgres),
});
