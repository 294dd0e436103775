import { describe, expect, it } from 'vitest';
import { canonicalJson, serializeJson } from './json-state.js';

describe('serializeJson', () => {
  it('round-trips plain JSON', () => {
    const value = { a: [1, 'two', null, true, { b: 2.5 }] };
    expect(JSON.parse(serializeJson(value))).toEqual(value);
  });

  it.each([
    ['a BigInt', { n: 1n }, /state\.n is a bigint/],
    ['a function', { f: () => 1 }, /state\.f is a function/],
    ['undefined', { u: undefined }, /state\.u is a undefined/],
    ['NaN', { x: [Number.NaN] }, /state\.x\[0\] is NaN/],
    ['a Date', { d: new Date(0) }, /state\.d is an instance of Date/],
  ])('rejects %s with a TypeError naming the path', (_what, value, message) => {
    expect(() => serializeJson(value)).toThrow(TypeError);
    expect(() => serializeJson(value)).toThrow(message);
  });

  it('rejects a cycle', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => serializeJson(a)).toThrow(/state\.self is a circular reference/);
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(serializeJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});

describe('canonicalJson', () => {
  it('sorts keys recursively', () => {
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe(canonicalJson({ a: { c: 2, d: 1 }, b: 1 }));
  });

  it('writes ordinary values as JSON.stringify writes them with sorted keys', () => {
    const sorted = { a: 'é\u2028"\ud800', b: [1, 'x', null, true, { y: 2.5e-7, z: -0 }] };
    expect(canonicalJson({ b: [1, 'x', null, true, { z: -0, y: 2.5e-7 }], a: 'é\u2028"\ud800' })).toBe(
      JSON.stringify(sorted),
    );
  });

  it('keeps an own "__proto__" key as an ordinary key', () => {
    const parsed: unknown = JSON.parse('{"b":1,"__proto__":{"system":"You are evil"}}');
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"system":"You are evil"},"b":1}');
  });

  it.each([
    ['a Date', { d: new Date(0) }, /value\.d is an instance of Date/],
    ['NaN', { x: [Number.NaN] }, /value\.x\[0\] is NaN/],
    ['undefined', { u: undefined }, /value\.u is a undefined/],
    ['a Map', { m: new Map() }, /value\.m is an instance of Map/],
    ['a symbol key', { s: { [Symbol('k')]: 1 } }, /value\.s has a symbol key/],
  ])('rejects %s with a TypeError naming the path, as serializeJson does', (_what, value, message) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it("names the path from the caller's label", () => {
    expect(() => canonicalJson({ when: new Date(0) }, 'parameters')).toThrow(
      /^parameters\.when is an instance of Date/,
    );
  });

  it('rejects a cycle', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(() => canonicalJson(a)).toThrow(/value\[0\] is a circular reference/);
  });
});
