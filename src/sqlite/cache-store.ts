import type { Statement } from 'better-sqlite3';
import type { AgentDatabase } from './db.js';
import type { CacheStore } from '../store.js';

/** The LLM cache table on SQLite; expiry by the database's clock. */
export class SqliteCacheStore implements CacheStore {
  readonly #db: AgentDatabase;
  readonly #get: Statement;
  readonly #put: Statement;
  readonly #cleanup: Statement;

  constructor(db: AgentDatabase) {
    this.#db = db;
    this.#get = db.sqlite.prepare('SELECT response FROM llm_cache WHERE key = ? AND expires_at > ?').pluck();
    this.#put = db.sqlite.prepare(`
      INSERT INTO llm_cache (key, model, response, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET response = excluded.response, model = excluded.model,
        created_at = excluded.created_at, expires_at = excluded.expires_at`);
    this.#cleanup = db.sqlite.prepare('DELETE FROM llm_cache WHERE expires_at <= ?');
  }

  async get(key: string): Promise<string | undefined> {
    return this.#get.get(key, this.#db.clock.now()) as string | undefined;
  }

  async put(key: string, model: string, responseJson: string, ttlMs: number): Promise<void> {
    const now = this.#db.clock.now();
    this.#db.writeTransaction(() => this.#put.run(key, model, responseJson, now, now + ttlMs));
  }

  async cleanup(): Promise<number> {
    const now = this.#db.clock.now();
    return this.#db.writeTransaction(() => this.#cleanup.run(now).changes);
  }
}
