import type { CacheStore } from '../store.js';
import type { PgDatabase } from './db.js';

/** The LLM cache table on PostgreSQL; expiry by the server's clock. */
export class PgCacheStore implements CacheStore {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async get(key: string): Promise<string | undefined> {
    const [row] = await this.#db.query<{ response: string }>(
      'SELECT response FROM llm_cache WHERE key = $1 AND expires_at > agentos_now_ms()',
      [key],
      'agentos.cache.get',
    );
    return row?.response;
  }

  async put(key: string, model: string, responseJson: string, ttlMs: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO llm_cache (key, model, response, created_at, expires_at)
       VALUES ($1, $2, $3, agentos_now_ms(), agentos_now_ms() + $4)
       ON CONFLICT (key) DO UPDATE SET response = excluded.response, model = excluded.model,
         created_at = excluded.created_at, expires_at = excluded.expires_at`,
      [key, model, responseJson, ttlMs],
      'agentos.cache.put',
    );
  }

  async cleanup(): Promise<number> {
    const rows = await this.#db.query<{ n: number }>(
      'WITH d AS (DELETE FROM llm_cache WHERE expires_at <= agentos_now_ms() RETURNING 1) SELECT COUNT(*)::int AS n FROM d',
    );
    return rows[0]?.n ?? 0;
  }
}
