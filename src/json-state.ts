/** JSON values: what a checkpoint state, a cache response or a work-item payload may hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Serialises a value that must round-trip through JSON unchanged. Anything JSON would silently drop or mangle
 * (BigInt, functions, symbols, undefined, NaN/Infinity, cycles, class instances such as Date or Map) is a TypeError
 * naming the path, thrown before anything is written.
 */
export function serializeJson(value: unknown, what = 'state'): string {
  assertJson(value, what, new Set());
  return JSON.stringify(value);
}

function assertJson(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path} is ${value}, which JSON cannot represent`);
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`${path} is a ${typeof value}, which is not JSON-serialisable`);
  }
  if (value === null) return;
  if (ancestors.has(value)) throw new TypeError(`${path} is a circular reference`);
  ancestors.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) assertJson(value[i], `${path}[${i}]`, ancestors);
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
      throw new TypeError(`${path} is an instance of ${name}; only plain objects, arrays and primitives are allowed`);
    }
    for (const key of Object.keys(value)) {
      assertJson((value as Record<string, unknown>)[key], `${path}.${key}`, ancestors);
    }
  }
  ancestors.delete(value);
}

/** Canonical JSON: object keys sorted recursively, so equal values always give equal strings (cache keys). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
