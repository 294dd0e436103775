import type { LLMCacheApi } from '../backend.js';
import { serializeJson, type Json } from '../json-state.js';
import { LLMOutputCache, type CacheStats, type LLMOutputCacheOptions, type LLMRequest } from '../llm-cache.js';
import { Metrics } from '../metrics.js';
import { assertId, assertPositiveInt } from '../validate.js';
import type { PgDatabase } from './db.js';

/** LLMOutputCache on PostgreSQL: the same keys (LLMOutputCache.keyOf), async; expiry by the server's clock. */
export class PgLLMOutputCache implements LLMCacheApi {
  readonly ttlMs: number;
  readonly metrics: Metrics;
  readonly #db: PgDatabase;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  #hits = 0;
  #misses = 0;

  constructor(db: PgDatabase, options: LLMOutputCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 7 * 24 * 3600 * 1000;
    assertPositiveInt('ttlMs', this.ttlMs);
    this.metrics = options.metrics ?? new Metrics();
    this.#db = db;
  }

  /** The cached response, or undefined on a miss or an expired entry. Counts a hit or a miss. */
  async get<R = Json>(request: LLMRequest): Promise<R | undefined> {
    assertId('model', request.model);
    const [row] = await this.#db.query<{ response: string }>(
      'SELECT response FROM llm_cache WHERE key = $1 AND expires_at > agentos_now_ms()',
      [LLMOutputCache.keyOf(request)],
      'agentos.cache.get',
    );
    if (!row) {
      this.#misses++;
      this.metrics.increment('cacheMisses');
      return undefined;
    }
    this.#hits++;
    this.metrics.increment('cacheHits');
    return JSON.parse(row.response) as R;
  }

  async put(request: LLMRequest, response: unknown): Promise<void> {
    assertId('model', request.model);
    const key = LLMOutputCache.keyOf(request);
    const json = serializeJson(response, `response for model "${request.model}"`);
    await this.#db.query(
      `INSERT INTO llm_cache (key, model, response, created_at, expires_at)
       VALUES ($1, $2, $3, agentos_now_ms(), agentos_now_ms() + $4)
       ON CONFLICT (key) DO UPDATE SET response = excluded.response, model = excluded.model,
         created_at = excluded.created_at, expires_at = excluded.expires_at`,
      [key, request.model, json, this.ttlMs],
      'agentos.cache.put',
    );
  }

  /**
   * Returns the cached response or generates, stores and returns it. Concurrent identical requests through this
   * cache share one generation; a failed generation is not cached. Another cache on the same database (in this
   * process or another) generates on its own and the last response stored wins: nothing is marked in flight in the
   * database, so, unlike a tool call, a request is never misread as in doubt, and each cache's own generate() answers
   * its callers.
   */
  async getOrGenerate<R = Json>(request: LLMRequest, generate: (request: LLMRequest) => Promise<R> | R): Promise<R> {
    const key = LLMOutputCache.keyOf(request);
    const pending = this.#inFlight.get(key);
    if (pending) return pending as Promise<R>;
    const lookup = (async () => {
      try {
        const cached = await this.get<R>(request);
        if (cached !== undefined) return cached;
        const response = await generate(request);
        await this.put(request, response);
        return response;
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, lookup);
    return lookup;
  }

  /** Deletes entries expired by the server's clock; returns how many. */
  async cleanup(): Promise<number> {
    const rows = await this.#db.query<{ n: number }>(
      'WITH d AS (DELETE FROM llm_cache WHERE expires_at <= agentos_now_ms() RETURNING 1) SELECT COUNT(*)::int AS n FROM d',
    );
    return rows[0]?.n ?? 0;
  }

  stats(): CacheStats {
    const total = this.#hits + this.#misses;
    return { hits: this.#hits, misses: this.#misses, hitRate: total === 0 ? 0 : this.#hits / total };
  }
}
