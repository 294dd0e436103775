import { defineSubject, loadedOnUse } from '../subject.js';

export default defineSubject({
  name: 'langgraph-sqlite',
  summary: "LangGraph's SqliteSaver on a file in the run folder",
  peer: true,
  capabilities: ['checkpoints', 'integrity'],
  ...loadedOnUse(async () => (await import('../langgraph/sqlite.js')).langgraphSqlite),
});
