/** JSON values: what a checkpoint state, a cache response or a work-item payload may hold. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Serialises a value that must round-trip through JSON unchanged. Anything JSON would silently drop or mangle
 * (BigInt, functions, symbols and symbol keys, undefined, NaN/Infinity, cycles, class instances such as Date or Map)
 * is a TypeError naming the path, thrown before anything is written.
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
    // JSON.stringify drops symbol keys silently: two values differing only there would serialise alike.
    if (Object.getOwnPropertySymbols(value).length > 0)
      throw new TypeError(`${path} has a symbol key, which JSON cannot hold`);
    for (const key of Object.keys(value)) {
      assertJson((value as Record<string, unknown>)[key], `${path}.${key}`, ancestors);
    }
  }
  ancestors.delete(value);
}

/**
 * Canonical JSON: the value checked as serializeJson checks it (a TypeError naming the path, with `what` as its root),
 * then written with object keys sorted recursively, so equal values give equal strings and different values different
 * ones (cache keys). An own "__proto__" key is an ordinary key. -0 is written as 0, as JSON.stringify does: JSON has no
 * -0, so it is the same value as 0.
 */
export function canonicalJson(value: unknown, what = 'value'): string {
  assertJson(value, what, new Set());
  return canonical(value);
}

// Builds the string directly: copying into a fresh object would turn an own "__proto__" key into a prototype.
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}
