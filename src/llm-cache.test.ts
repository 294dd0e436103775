import { describe, expect, it } from 'vitest';
import { useTempDb } from '../test/helpers/temp-db.js';
import { LLMOutputCache, type LLMRequest } from './index.js';

/** A named, deterministic fake model: the answer is a function of the request, and every call is counted. */
function fakeModel() {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    generate: async (req: LLMRequest) => {
      calls++;
      await Promise.resolve();
      return { text: `echo:${JSON.stringify(req.prompt)}`, model: req.model };
    },
  };
}

describe('LLMOutputCache', () => {
  const tempDb = useTempDb();
  const req: LLMRequest = { model: 'm1', prompt: 'hello', parameters: { temperature: 0, max_tokens: 10 } };

  it('misses, then hits, and counts the hit rate', () => {
    const { db } = tempDb();
    const cache = new LLMOutputCache(db);
    expect(cache.get(req)).toBeUndefined();
    cache.put(req, { text: 'hi' });
    expect(cache.get(req)).toEqual({ text: 'hi' });
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, hitRate: 0.5 });
  });

  it('keys on model, parameters and prompt, not on key order', () => {
    const key = LLMOutputCache.keyOf(req);
    expect(LLMOutputCache.keyOf({ ...req, model: 'm2' })).not.toBe(key);
    expect(LLMOutputCache.keyOf({ ...req, parameters: { temperature: 0.1, max_tokens: 10 } })).not.toBe(key);
    expect(LLMOutputCache.keyOf({ ...req, prompt: 'hello ' })).not.toBe(key);
    expect(LLMOutputCache.keyOf({ prompt: 'hello', parameters: { max_tokens: 10, temperature: 0 }, model: 'm1' })).toBe(key);
  });

  it('shares one generation between concurrent identical requests', async () => {
    const { db } = tempDb();
    const cache = new LLMOutputCache(db);
    const model = fakeModel();
    const results = await Promise.all([1, 2, 3].map(() => cache.getOrGenerate(req, model.generate)));
    expect(model.calls).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    await cache.getOrGenerate(req, model.generate);
    expect(model.calls).toBe(1);
  });

  it('does not cache a failed generation', async () => {
    const { db } = tempDb();
    const cache = new LLMOutputCache(db);
    await expect(cache.getOrGenerate(req, () => Promise.reject(new Error('rate limited')))).rejects.toThrow('rate limited');
    expect(cache.get(req)).toBeUndefined();
  });

  it('expires entries after ttlMs and cleans them up', () => {
    const { db, clock } = tempDb();
    const cache = new LLMOutputCache(db, { ttlMs: 1000 });
    cache.put(req, 'x');
    clock.advance(999);
    expect(cache.get(req)).toBe('x');
    clock.advance(1);
    expect(cache.get(req)).toBeUndefined();
    expect(cache.cleanup()).toBe(1);
    expect(db.sqlite.prepare('SELECT COUNT(*) FROM llm_cache').pluck().get()).toBe(0);
  });

  it('rejects a response JSON cannot hold', () => {
    const { db } = tempDb();
    expect(() => new LLMOutputCache(db).put(req, { tokens: 5n })).toThrow(TypeError);
  });
});
