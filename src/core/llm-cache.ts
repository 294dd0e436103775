import { sha256Hex } from '../evidence.js';
import { canonicalJson, serializeJson, type Json } from '../json-state.js';
import { Metrics } from '../metrics.js';
import type { AgentStore, CacheStore } from '../store.js';
import { assertId, assertPositiveInt } from '../validate.js';

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

/** Caches LLM outputs by the hash of the canonical request, with expiry by the store's clock; on either store. */
export class LLMOutputCache {
  readonly ttlMs: number;
  readonly metrics: Metrics;
  readonly #store: CacheStore;
  readonly #inFlight = new Map<string, Promise<unknown>>();
  #hits = 0;
  #misses = 0;

  constructor(db: AgentStore, options: LLMOutputCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 7 * 24 * 3600 * 1000;
    assertPositiveInt('ttlMs', this.ttlMs);
    this.metrics = options.metrics ?? new Metrics();
    this.#store = db.cacheStore;
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
  async get<R = Json>(request: LLMRequest): Promise<R | undefined> {
    assertId('model', request.model);
    const json = await this.#store.get(LLMOutputCache.keyOf(request));
    if (json === undefined) {
      this.#misses++;
      this.metrics.increment('cacheMisses');
      return undefined;
    }
    this.#hits++;
    this.metrics.increment('cacheHits');
    return JSON.parse(json) as R;
  }

  async put(request: LLMRequest, response: unknown): Promise<void> {
    assertId('model', request.model);
    const key = LLMOutputCache.keyOf(request);
    const json = serializeJson(response, `response for model "${request.model}"`);
    await this.#store.put(key, request.model, json, this.ttlMs);
  }

  /**
   * Returns the cached response or generates, stores and returns it. Concurrent identical requests through this
   * cache share one lookup and one generation; a failed generation is not cached. Another cache on the same database
   * (in this process or another) generates on its own and the last response stored wins: nothing is marked in flight
   * in the database, so, unlike a tool call, a request is never misread as in doubt.
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

  /** Deletes expired entries; returns how many. */
  async cleanup(): Promise<number> {
    return this.#store.cleanup();
  }

  stats(): CacheStats {
    const total = this.#hits + this.#misses;
    return { hits: this.#hits, misses: this.#misses, hitRate: total === 0 ? 0 : this.#hits / total };
  }
}
