import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type AgentDatabase } from '../../src/index.js';
import { AgentosSaver } from '../../src/langgraph/index.js';

// LangGraph's conformance suite calls describe/it/expect as globals; this project's vitest does not inject them, so
// they are provided here, before the suite's module is loaded.
Object.assign(globalThis, { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it });
const { validate } = await import('@langchain/langgraph-checkpoint-validation');

/** Each checkpointer the suite creates gets a database file of its own in a fresh folder, removed when it is destroyed. */
const databases = new WeakMap<AgentosSaver, { db: AgentDatabase; dir: string }>();

validate<AgentosSaver>({
  checkpointerName: 'AgentosSaver',
  createCheckpointer() {
    const dir = mkdtempSync(join(tmpdir(), 'agentos-conformance-'));
    const db = openDatabase(join(dir, 'agentos.db'));
    const saver = new AgentosSaver(db);
    databases.set(saver, { db, dir });
    return saver;
  },
  destroyCheckpointer(saver) {
    const opened = databases.get(saver);
    saver.releaseAll();
    opened?.db.close();
    if (opened) rmSync(opened.dir, { recursive: true, force: true });
  },
});
