import { describe, expect, it } from 'vitest';
import { CompareUsageError } from './cli.js';
import { benchGate } from './gate.js';

const io = () => {
  const out: string[] = [];
  return { out, io: { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) } };
};

describe('bench:gate refuses bad arguments before it reads any file', () => {
  it('prints its usage for --help and exits 0', () => {
    const { out, io: sink } = io();
    expect(benchGate(['--help'], sink)).toBe(0);
    expect(out.join('')).toContain('pnpm bench:gate save --history <folder> <head.json>');
  });

  it.each([
    [['gate', 'head.json'], 'the first argument is check or save; got "gate"'],
    [[], 'the first argument is check or save; got nothing'],
    [['check'], 'check takes one head run'],
    [['save', 'a.json', 'b.json'], 'save takes one head run'],
    [['check', 'head.json'], 'check needs --history <folder>'],
    [['check', 'head.json', '--histroy', 'h'], '--histroy'],
  ])('refuses %j', (argv, message) => {
    const { io: sink } = io();
    expect(() => benchGate(argv, sink)).toThrow(CompareUsageError);
    expect(() => benchGate(argv, sink)).toThrow(message);
  });
});
