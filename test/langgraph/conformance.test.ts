import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dropSchema, freshSchemaName, pgUrl } from '../../harness/postgres/pg-server.js';
import { openDatabase } from '../../src/index.js';
import { AgentosSaver } from '../../src/langgraph/index.js';
import { openPgDatabase } from '../../src/pg/index.js';
import { pgSkipReason } from '../helpers/temp-pg.js';

// LangGraph's conformance suite calls describe/it/expect as globals; this project's vitest does not inject them, so
// they are provided here, before the suite's module is loaded.
Object.assign(globalThis, { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it });
const { validate } = await import('@langchain/langgraph-checkpoint-validation');

/** How to remove what each checkpointer the suite creates was given. */
const cleanups = new WeakMap<AgentosSaver, () => Promise<void>>();

async function destroy(saver: AgentosSaver): Promise<void> {
  await saver.releaseAll();
  await cleanups.get(saver)?.();
}

describe('on SQLite', () => {
  validate<AgentosSaver>({
    checkpointerName: 'AgentosSaver [sqlite]',
    // A database file of its own in a fresh folder.
    createCheckpointer() {
      const dir = mkdtempSync(join(tmpdir(), 'agentos-conformance-'));
      const db = openDatabase(join(dir, 'agentos.db'));
      const saver = new AgentosSaver(db);
      cleanups.set(saver, async () => {
        db.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return saver;
    },
    destroyCheckpointer: destroy,
  });
});

describe.skipIf(pgSkipReason !== undefined)('on PostgreSQL', () => {
  validate<AgentosSaver>({
    checkpointerName: 'AgentosSaver [postgres]',
    // A fresh schema of its own.
    async createCheckpointer() {
      const db = await openPgDatabase({ connectionString: pgUrl(), schema: freshSchemaName('agentos_conformance') });
      const saver = new AgentosSaver(db);
      cleanups.set(saver, async () => {
        await db.close();
        await dropSchema(db.schema);
      });
      return saver;
    },
    destroyCheckpointer: destroy,
  });
});
