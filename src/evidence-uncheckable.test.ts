import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test/helpers/temp-db.js';
import { EvidenceVerifier, evidence, type EvidencePack } from './evidence.js';
import { InvalidArgumentError } from './validate.js';

/** Stored packs are parsed JSON: these are shapes only hand-written or corrupted rows hold. */
const stored = (value: unknown): EvidencePack => value as EvidencePack;

describe('EvidenceVerifier with items it cannot check', () => {
  const tempDir = useTempDir();

  function setup() {
    const base = join(tempDir(), 'base');
    mkdirSync(base);
    return { base, verifier: new EvidenceVerifier({ baseDir: base }) };
  }

  // Each of these threw a TypeError out of verify() before: the reason each now fails with.
  it.each([
    [
      'a NUL byte in an argv argument',
      { kind: 'command-exit', argv: ['touch', 'ran\0x'] },
      'argv[1] contains a NUL byte, which no program can be given: "ran\\u0000x"',
    ],
    [
      'a NUL byte in the program',
      { kind: 'command-exit', argv: ['tou\0ch', 'ran'] },
      'argv[0] contains a NUL byte, which no program can be given: "tou\\u0000ch"',
    ],
    ['an empty program', { kind: 'command-exit', argv: ['', 'ran'] }, 'argv[0] (the program) must not be empty'],
    [
      'a NUL byte in a shell command',
      { kind: 'command-exit', command: 'touch ran\0x', shell: true },
      'command contains a NUL byte, which /bin/sh cannot be given: "touch ran\\u0000x"',
    ],
    ['a null item', null, 'an evidence item must be an object, got null'],
  ])('fails %s with the reason, running nothing', (_what, item, reason) => {
    const { base, verifier } = setup();
    const result = verifier.verify(stored({ items: [item] }));
    expect(result.ok).toBe(false);
    expect(result.failures).toEqual([{ index: 0, kind: item?.kind ?? 'unknown', ok: false, reason }]);
    expect(existsSync(join(base, 'ran'))).toBe(false);
  });

  it.each([
    ['a string', 'touch ran', 'evidence must be { items: [...] }, got "touch ran"'],
    ['items that are a string', { items: 'touch ran' }, 'evidence must be { items: [...] }, got {"items":"touch ran"}'],
    ['items that are an object', { items: {} }, 'evidence must be { items: [...] }, got {"items":{}}'],
    ['a number', 5, 'evidence must be { items: [...] }, got 5'],
  ])('fails a pack that is %s rather than throwing or passing it as empty', (_what, pack, reason) => {
    const result = setup().verifier.verify(stored(pack));
    expect(result.ok).toBe(false);
    expect(result.failures.map((f) => f.reason)).toEqual([reason]);
  });

  it.each(['file-exists', 'file-hash'])('fails a %s path holding a NUL byte, saying so', (kind) => {
    const result = setup().verifier.verify(stored({ items: [{ kind, path: 'out\0.txt', sha256: '00' }] }));
    expect(result.failures.map((f) => f.reason)).toEqual([
      'path "out\\u0000.txt" contains a NUL byte, which no file name can hold',
    ]);
  });

  it('refuses a base directory holding a NUL byte, naming it', () => {
    const build = () => new EvidenceVerifier({ baseDir: '/tmp/a\0b' });
    expect(build).toThrow(InvalidArgumentError);
    expect(build).toThrow('baseDir must be a directory path without NUL bytes, got "/tmp/a\\u0000b"');
  });
});

describe('evidence constructors', () => {
  it.each([
    [
      () => evidence.commandExit(['touch', 'ran\0x']),
      'evidence.commandExit: argv[1] contains a NUL byte, which no program can be given: "ran\\u0000x"',
    ],
    [() => evidence.commandExit([]), 'evidence.commandExit: argv must be a non-empty array of strings'],
    [() => evidence.commandExit(['']), 'evidence.commandExit: argv[0] (the program) must not be empty'],
    [
      () => evidence.commandExit(['true'], { timeoutMs: 0 }),
      'evidence.commandExit: timeoutMs must be a positive integer, got 0',
    ],
    [
      () => evidence.shellExit('true\0'),
      'evidence.shellExit: command contains a NUL byte, which /bin/sh cannot be given: "true\\u0000"',
    ],
    [() => evidence.shellExit(' '), 'evidence.shellExit: command must be a non-empty string'],
    [
      () => evidence.fileExists('a\0b'),
      'evidence.fileExists: path "a\\u0000b" contains a NUL byte, which no file name can hold',
    ],
    [() => evidence.fileHash('', '00'), 'evidence.fileHash: path must be a non-empty string, got ""'],
  ])('refuses what no verification could check: %#', (build, message) => {
    expect(build).toThrow(InvalidArgumentError);
    expect(build).toThrow(message);
  });

  it('builds the items they always built', () => {
    expect(evidence.commandExit(['true'], { timeoutMs: 5 })).toEqual({
      kind: 'command-exit',
      argv: ['true'],
      timeoutMs: 5,
    });
    expect(evidence.shellExit('true')).toEqual({ kind: 'command-exit', command: 'true', shell: true });
    expect(evidence.fileHash('a', '00')).toEqual({ kind: 'file-hash', path: 'a', sha256: '00' });
  });
});
