import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test/helpers/temp-db.js';
import { EvidenceVerifier, evidence, sha256Hex } from './evidence.js';

describe('EvidenceVerifier', () => {
  const tempDir = useTempDir();

  function setup() {
    const root = tempDir();
    const base = join(root, 'base');
    mkdirSync(base);
    writeFileSync(join(base, 'out.txt'), 'hello');
    writeFileSync(join(root, 'secret.txt'), 'outside');
    return { root, base, verifier: new EvidenceVerifier({ baseDir: base }) };
  }

  it('accepts existing files, matching hashes and expected exit codes', () => {
    const { verifier } = setup();
    const result = verifier.verify(
      evidence.pack(evidence.fileExists('out.txt'), evidence.fileHash('out.txt', sha256Hex('hello')), evidence.commandExit('make', 0)),
    );
    expect(result.ok).toBe(true);
    expect(result.items.map((i) => i.ok)).toEqual([true, true, true]);
  });

  it('says which item failed and why', () => {
    const { verifier } = setup();
    const result = verifier.verify(
      evidence.pack(
        evidence.fileExists('out.txt'),
        evidence.fileExists('missing.txt'),
        evidence.fileHash('out.txt', sha256Hex('other')),
        evidence.commandExit('make test', 2),
      ),
    );
    expect(result.ok).toBe(false);
    expect(result.failures.map((f) => [f.index, f.kind])).toEqual([
      [1, 'file-exists'],
      [2, 'file-hash'],
      [3, 'command-exit'],
    ]);
    expect(result.failures[0]?.reason).toMatch(/missing\.txt" does not exist/);
    expect(result.failures[1]?.reason).toMatch(/has sha256 [0-9a-f]{64}, expected/);
    expect(result.failures[2]?.reason).toMatch(/exited with 2, expected 0/);
  });

  it.each([
    ['a .. path', '../secret.txt'],
    ['an absolute path elsewhere', '/etc/passwd'],
    ['a .. path that comes back in', '../base/../secret.txt'],
  ])('rejects %s as escaping the base directory', (_what, path) => {
    const { verifier } = setup();
    const result = verifier.verify(evidence.pack(evidence.fileHash(path, sha256Hex('outside'))));
    expect(result.ok).toBe(false);
    expect(result.failures[0]?.reason).toMatch(/escapes the base directory/);
  });

  it('rejects a symlink that points outside, without reading it', () => {
    const { root, base, verifier } = setup();
    symlinkSync(join(root, 'secret.txt'), join(base, 'link.txt'));
    const result = verifier.verify(evidence.pack(evidence.fileHash('link.txt', sha256Hex('outside'))));
    expect(result.ok).toBe(false);
    expect(result.failures[0]?.reason).toMatch(/symlink .* outside the base directory/);
  });

  it('accepts an absolute path and a symlink that stay inside', () => {
    const { base, verifier } = setup();
    symlinkSync(join(base, 'out.txt'), join(base, 'inner-link.txt'));
    const result = verifier.verify(evidence.pack(evidence.fileExists(join(base, 'out.txt')), evidence.fileExists('inner-link.txt')));
    expect(result.ok).toBe(true);
  });

  it('treats an empty pack as verified', () => {
    expect(setup().verifier.verify(undefined).ok).toBe(true);
  });
});
