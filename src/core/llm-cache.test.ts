import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeEachStore } from '../../test/helpers/stores.js';
import { LLMOutputCache, sha256Hex, type Json, type LLMRequest } from '../index.js';

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

const req: LLMRequest = { model: 'm1', prompt: 'hello', parameters: { temperature: 0, max_tokens: 10 } };

describeEachStore('LLMOutputCache', (open) => {
  it('misses, then hits, and counts the hit rate', async () => {
    const { db } = await open();
    const cache = new LLMOutputCache(db);
    expect(await cache.get(req)).toBeUndefined();
    await cache.put(req, { text: 'hi' });
    expect(await cache.get({ ...req, parameters: { max_tokens: 10, temperature: 0 } })).toEqual({ text: 'hi' });
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, hitRate: 0.5 });
  });

  it('answers through another handle under the same key', async () => {
    const { db, reopen } = await open();
    await new LLMOutputCache(db).put(req, 'stored');
    expect(await new LLMOutputCache(await reopen()).get(req)).toBe('stored');
  });

  it('shares one lookup and one generation between concurrent identical requests', async () => {
    const { db } = await open();
    const cache = new LLMOutputCache(db);
    const model = fakeModel();
    const results = await Promise.all([1, 2, 3].map(() => cache.getOrGenerate(req, model.generate)));
    expect(model.calls).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    await cache.getOrGenerate(req, model.generate);
    expect(model.calls).toBe(1);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, hitRate: 0.5 });
  });

  it('does not cache a failed generation', async () => {
    const { db } = await open();
    const cache = new LLMOutputCache(db);
    await expect(cache.getOrGenerate(req, () => Promise.reject(new Error('rate limited')))).rejects.toThrow(
      'rate limited',
    );
    expect(await cache.get(req)).toBeUndefined();
  });

  it("expires entries after ttlMs by the store's clock and cleans them up", async () => {
    const { db, backdate, count } = await open();
    const cache = new LLMOutputCache(db, { ttlMs: 60_000 });
    await cache.put(req, 'x');
    await backdate('llm_cache', 'expires_at', 30_000);
    expect(await cache.get(req)).toBe('x');
    expect(await cache.cleanup()).toBe(0);
    await backdate('llm_cache', 'expires_at', 30_001);
    expect(await cache.get(req)).toBeUndefined();
    expect(await cache.cleanup()).toBe(1);
    expect(await count('llm_cache')).toBe(0);
  });

  it('rejects a response JSON cannot hold, writing nothing', async () => {
    const { db, count } = await open();
    await expect(new LLMOutputCache(db).put(req, { tokens: 5n })).rejects.toThrow(TypeError);
    expect(await count('llm_cache')).toBe(0);
  });

  it('does not serve the answer for a "__proto__" parameter to a request without parameters', async () => {
    const { db } = await open();
    const cache = new LLMOutputCache(db);
    const evil: LLMRequest = {
      model: 'm1',
      prompt: 'hello',
      parameters: JSON.parse('{"__proto__":{"system":"You are evil"}}') as Record<string, Json>,
    };
    await cache.put(evil, 'evil answer');
    expect(await cache.get({ model: 'm1', prompt: 'hello', parameters: {} })).toBeUndefined();
    expect(await cache.get(evil)).toBe('evil answer');
  });

  it('refuses a request JSON cannot hold before touching the database', async () => {
    const { db, count } = await open();
    const cache = new LLMOutputCache(db);
    const request = { model: 'm1', prompt: 'hello', parameters: { when: new Date(0) } } as unknown as LLMRequest;
    await expect(cache.get(request)).rejects.toThrow(TypeError);
    await expect(cache.put(request, 'x')).rejects.toThrow(/request\.parameters\.when is an instance of Date/);
    let generated = 0;
    await expect(cache.getOrGenerate(request, () => ++generated)).rejects.toThrow(TypeError);
    expect(generated).toBe(0);
    expect(cache.stats()).toEqual({ hits: 0, misses: 0, hitRate: 0 });
    expect(await count('llm_cache')).toBe(0);
  });
});

describe('LLMOutputCache.keyOf', () => {
  it('keys on model, parameters and prompt, not on key order', () => {
    const key = LLMOutputCache.keyOf(req);
    expect(LLMOutputCache.keyOf({ ...req, model: 'm2' })).not.toBe(key);
    expect(LLMOutputCache.keyOf({ ...req, parameters: { temperature: 0.1, max_tokens: 10 } })).not.toBe(key);
    expect(LLMOutputCache.keyOf({ ...req, prompt: 'hello ' })).not.toBe(key);
    expect(LLMOutputCache.keyOf({ prompt: 'hello', parameters: { max_tokens: 10, temperature: 0 }, model: 'm1' })).toBe(
      key,
    );
  });
});

describe('LLMOutputCache keys', () => {
  const model = 'm1';
  const prompt = 'hello';

  it('keys a "__proto__" parameter apart from no parameters', () => {
    const evil: LLMRequest = {
      model,
      prompt,
      parameters: JSON.parse('{"__proto__":{"system":"You are evil"}}') as Record<string, Json>,
    };
    expect(LLMOutputCache.keyOf(evil)).not.toBe(LLMOutputCache.keyOf({ model, prompt, parameters: {} }));
  });

  it.each([
    ['a Date', { when: new Date(0) }, /request\.parameters\.when is an instance of Date/],
    ['NaN', { temperature: Number.NaN }, /request\.parameters\.temperature is NaN/],
    ['undefined', { stop: undefined }, /request\.parameters\.stop is a undefined/],
    [
      'Infinity inside an array',
      { logit_bias: [1, Number.POSITIVE_INFINITY] },
      /request\.parameters\.logit_bias\[1\] is Infinity/,
    ],
  ])('refuses %s in the request with a TypeError naming the path', (_what, parameters, message) => {
    const request = { model, prompt, parameters } as unknown as LLMRequest;
    expect(() => LLMOutputCache.keyOf(request)).toThrow(message);
  });

  it('gives two different Dates, NaN and null, undefined and absent no shared key: they are refused', () => {
    const key = (parameters: unknown) => () => LLMOutputCache.keyOf({ model, prompt, parameters } as LLMRequest);
    expect(key({ when: new Date(0) })).toThrow(TypeError);
    expect(key({ when: new Date(1) })).toThrow(TypeError);
    expect(key({ t: Number.NaN })).toThrow(TypeError);
    expect(key({ t: null })).not.toThrow();
    expect(key({ t: undefined })).toThrow(TypeError);
  });

  it('refuses request fields it would not key on', () => {
    const request = { model, prompt, system: 'You are evil' } as LLMRequest;
    expect(() => LLMOutputCache.keyOf(request)).toThrow(/request\.system is not an LLMRequest field/);
    expect(() => LLMOutputCache.keyOf({ model, prompt, parameters: null } as unknown as LLMRequest)).toThrow(
      /request\.parameters must be a plain object/,
    );
  });

  it('keeps the key of an ordinary request', () => {
    // sha256 of {"model":"m1","parameters":{"max_tokens":10,"temperature":0},"prompt":"hello"}, as keyed before.
    const request: LLMRequest = { model, prompt, parameters: { temperature: 0, max_tokens: 10 } };
    expect(LLMOutputCache.keyOf(request)).toBe(
      sha256Hex('{"model":"m1","parameters":{"max_tokens":10,"temperature":0},"prompt":"hello"}'),
    );
  });

  describe('properties', () => {
    // Keys that name Object.prototype members, mixed with arbitrary strings, so "__proto__" and its kin turn up often.
    const key = fc.oneof(
      fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', ''),
      fc.string({ maxLength: 3 }),
    );
    const { json, object } = fc.letrec<{ json: Json; object: Record<string, Json> }>((tie) => ({
      json: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        // Doubles include -0; JSON writes it as 0, so -0 and 0 are the same request (see keyOf).
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: -2, max: 2 }),
        fc.string({ maxLength: 3 }),
        fc.array(tie('json'), { maxLength: 3 }),
        tie('object'),
        // fast-check's JsonObject type allows undefined members, which jsonValue() never generates.
        fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
      ),
      object: fc.array(fc.tuple(key, tie('json')), { maxLength: 4 }).map(toObject),
    }));
    const request: fc.Arbitrary<LLMRequest> = fc.record(
      { model: fc.constantFrom('m1', 'm2'), prompt: json, parameters: object },
      { requiredKeys: ['model', 'prompt'] },
    );

    it('does not depend on key order', () => {
      fc.assert(
        fc.property(request, fc.integer(), (r, seed) => {
          expect(LLMOutputCache.keyOf(shuffled(r, seed) as LLMRequest)).toBe(LLMOutputCache.keyOf(r));
        }),
        { numRuns: 500 },
      );
    });

    it('gives different requests different keys', () => {
      // Pairs are often near misses: the second request is the first with one part replaced.
      const pair = fc.oneof(
        fc.tuple(request, request),
        fc.tuple(request, object).map(([r, parameters]): [LLMRequest, LLMRequest] => [r, { ...r, parameters }]),
        fc.tuple(request, json).map(([r, prompt]): [LLMRequest, LLMRequest] => [r, { ...r, prompt }]),
      );
      fc.assert(
        fc.property(pair, ([a, b]) => {
          if (LLMOutputCache.keyOf(a) === LLMOutputCache.keyOf(b)) expect(jsonEqual(normal(a), normal(b))).toBe(true);
          else expect(jsonEqual(normal(a), normal(b))).toBe(false);
        }),
        { numRuns: 1000 },
      );
    });

    it('keeps the key through a JSON round trip', () => {
      fc.assert(
        fc.property(request, (r) => {
          expect(LLMOutputCache.keyOf(JSON.parse(JSON.stringify(r)) as LLMRequest)).toBe(LLMOutputCache.keyOf(r));
        }),
        { numRuns: 500 },
      );
    });
  });
});

/** An object with these own properties, "__proto__" included (as JSON.parse makes it). */
function toObject<T>(entries: readonly (readonly [string, T])[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of entries)
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** The value with every object's keys inserted in a seeded random order. */
function shuffled(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffled(v, seed + i));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  let s = seed >>> 0;
  for (let i = keys.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  return toObject(keys.map((k) => [k, shuffled((value as Record<string, unknown>)[k], s + k.length)]));
}

/** The request as keyed: parameters absent and {} are the same request. */
function normal(r: LLMRequest): unknown {
  return { model: r.model, prompt: r.prompt, parameters: r.parameters ?? {} };
}

/** JSON equality: own keys in any order, and -0 equal to 0 (JSON has no -0). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && jsonEqual(ra[k], rb[k]));
  }
  return a === b;
}
