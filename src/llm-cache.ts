import type { Statement } from 'better-sqlite3';
import type { LLMCacheApi } from './backend.js';
import type { AgentDatabase } from './db.js';
import { sha256Hex } from './evidence.js';
import { canonicalJson, serializeJson, type Json } from './json-state.js';
import { Metrics } from './metrics.js';
import { assertId, assertPositiveInt } from './validate.js';

/** What identifies an LLM call: a change to any part of it is a different cache entry. */
export interface LLMRequest {
  model: string;
  prompt: Json;
  parameters?: Record<string, Json>;
}

export interface CacheStats {
  hits: number;
  misses: number;
  hitRate: number;
}

export interface LLMOutputCacheOptions {
  /** Entry lifetime in ms (default 7 days, as the seed). */
  ttlMs?: number;
  metrics?: Metrics;
}

const REQUEST_FIELDS = new Set(['model', 'prompt', 'parameters']);

/** Caches LLM outputs by the hash of the canonical request, with expiry. */
export class LLMOutputCache implements LLMCacheApi {
  readonly ttlMs: number;
  readonly metrics: Metrics;
  readonly #db: AgentDatabase;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly #get: Statement;
  readonly #put: Statement;
  readonly #cleanup: Statement;
  #hits = 0;
  #misses = 0;

  constructor(db: AgentDatabase, options: LLMOutputCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 7 * 24 * 3600 * 1000;
    assertPositiveInt('ttlMs', this.ttlMs);
    this.metrics = options.metrics ?? new Metrics();
    this.#db = db;
    this.#get = db.sqlite.prepare('SELECT response FROM llm_cache WHERE key = ? AND expires_at > ?').pluck();
    this.#put = db.sqlite.prepare(`
      INSERT INTO llm_cache (key, model, response, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET response = excluded.response, model = excluded.model,
        created_at = excluded.created_at, expires_at = excluded.expires_at`);
    this.#cleanup = db.sqlite.prepare('DELETE FROM llm_cache WHERE expires_at <= ?');
  }

  /**
   * The cache key of a request: sha256 of the canonical JSON of model, parameters and prompt (object keys sorted, an
   * own "__proto__" key kept as an ordinary key). A value JSON cannot hold (Date, NaN, undefined, …) or a field other
   * than these three is a TypeError naming the path. Absent parameters and `{}` are the same request; so are -0 and 0.
   */
  static keyOf(request: LLMRequest): string {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time: a caller may be untyped JavaScript
    if (request === null || typeof request !== 'object') throw new TypeError('request must be an object');
    for (const field of Object.keys(request)) {
      if (!REQUEST_FIELDS.has(field)) {
        throw new TypeError(
          `request.${field} is not an LLMRequest field (model, prompt, parameters): it would not be part of the key`,
        );
      }
    }
    // Not ??: a null parameters must reach the check below and be refused, not become {}.
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- see above
    const parameters: unknown = request.parameters === undefined ? {} : request.parameters;
    if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) {
      throw new TypeError('request.parameters must be a plain object');
    }
    return sha256Hex(canonicalJson({ model: request.model, prompt: request.prompt, parameters }, 'request'));
  }

  /** The cached response, or undefined on a miss or an expired entry. Counts a hit or a miss. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- R is the caller's claim about the stored response, as with JSON.parse
  get<R = Json>(request: LLMRequest): R | undefined {
    assertId('model', request.model);
    const json = this.#get.get(LLMOutputCache.keyOf(request), this.#db.clock.now()) as string | undefined;
    if (json === undefined) {
      this.#misses++;
      this.metrics.increment('cacheMisses');
      return undefined;
    }
    this.#hits++;
    this.metrics.increment('cacheHits');
    return JSON.parse(json) as R;
  }

  put(request: LLMRequest, response: unknown): void {
    assertId('model', request.model);
    const key = LLMOutputCache.keyOf(request);
    const json = serializeJson(response, `response for model "${request.model}"`);
    const now = this.#db.clock.now();
    this.#db.writeTransaction(() => this.#put.run(key, request.model, json, now, now + this.ttlMs));
  }

  /**
   * Returns the cached response or generates, stores and returns it. Concurrent identical requests through this
   * cache share one generation; a failed generation is not cached. Another cache on the same database (in this
   * process or another) generates on its own and the last response stored wins: nothing is marked in flight in the
   * database, so, unlike a tool call, a request is never misread as in doubt, and each cache's own generate() answers
   * its callers.
   */
  async getOrGenerate<R = Json>(request: LLMRequest, generate: (request: LLMRequest) => Promise<R> | R): Promise<R> {
    const cached = this.get<R>(request);
    if (cached !== undefined) return cached;
    const key = LLMOutputCache.keyOf(request);
    const pending = this.#inFlight.get(key);
    if (pending) return pending as Promise<R>;
    const generation = (async () => {
      try {
        const response = await generate(request);
        this.put(request, response);
        return response;
      } finally {
        this.#inFlight.delete(key);
      }
    })();
    this.#inFlight.set(key, generation);
    return generation;
  }

  /** Deletes expired entries; returns how many. */
  cleanup(): number {
    const now = this.#db.clock.now();
    return this.#db.writeTransaction(() => this.#cleanup.run(now).changes);
  }

  stats(): CacheStats {
    const total = this.#hits + this.#misses;
    return { hits: this.#hits, misses: this.#misses, hitRate: total === 0 ? 0 : this.#hits / total };
  }
}
