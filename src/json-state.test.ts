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
});
