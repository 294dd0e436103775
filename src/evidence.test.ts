import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtPath } from '../harness/workers/build.js';
import { useTempDb, useTempDir } from '../test/helpers/temp-db.js';
import { CheckpointManager } from './core/checkpoints.js';
import { EvidenceVerifier, evidence, sha256Hex, type EvidenceItem, type EvidencePack } from './evidence.js';

/** A node one-liner as argv: runs without a shell on every machine that runs these tests. */
const nodeArgv = (code: string): string[] => [process.execPath, '-e', code];

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

  /** The one item's failure reason, or 'ok'. */
  function check(verifier: EvidenceVerifier, item: EvidenceItem): string {
    const result = verifier.verify(evidence.pack(item));
    return result.ok ? 'ok' : (result.failures[0]?.reason ?? 'failed without a reason');
  }

  it('accepts existing files, matching hashes and commands that exit as expected', () => {
    const { verifier } = setup();
    const result = verifier.verify(
      evidence.pack(
        evidence.fileExists('out.txt'),
        evidence.fileHash('out.txt', sha256Hex('hello')),
        evidence.commandExit(['true']),
      ),
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
        evidence.commandExit(['false']),
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
    expect(result.failures[2]?.reason).toMatch(/exited with 1, expected 0/);
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
    const result = verifier.verify(
      evidence.pack(evidence.fileExists(join(base, 'out.txt')), evidence.fileExists('inner-link.txt')),
    );
    expect(result.ok).toBe(true);
  });

  it('treats an empty pack as verified', () => {
    expect(setup().verifier.verify(undefined).ok).toBe(true);
  });

  describe('paths are resolved as the OS resolves them', () => {
    it('refuses "link/../../a.txt" when the OS, applying .. after the symlink, leaves the base directory', () => {
      // base/sub/link -> outside/dir/inner, so base/sub/link/../../a.txt is outside/a.txt; lexically it is base/a.txt.
      const { root, base, verifier } = setup();
      mkdirSync(join(root, 'outside', 'dir', 'inner'), { recursive: true });
      writeFileSync(join(root, 'outside', 'a.txt'), 'outside a');
      writeFileSync(join(base, 'a.txt'), 'inside a');
      mkdirSync(join(base, 'sub'));
      symlinkSync(join(root, 'outside', 'dir', 'inner'), join(base, 'sub', 'link'));
      expect(check(verifier, evidence.fileHash('sub/link/../../a.txt', sha256Hex('inside a')))).toMatch(
        /resolves through a symlink to ".*\/outside\/a\.txt", outside the base directory/,
      );
      expect(check(verifier, evidence.fileExists('sub/link/../../a.txt'))).toMatch(/outside the base directory/);
    });

    it('checks the file the OS would open when a .. after a symlink stays inside', () => {
      // base/sub/link -> base/deep/x/y: base/sub/link/../a.txt is base/deep/x/a.txt; lexically it is base/sub/a.txt.
      const { base, verifier } = setup();
      mkdirSync(join(base, 'deep', 'x', 'y'), { recursive: true });
      mkdirSync(join(base, 'sub'));
      writeFileSync(join(base, 'deep', 'x', 'a.txt'), 'deep a');
      writeFileSync(join(base, 'sub', 'a.txt'), 'sub a');
      symlinkSync(join(base, 'deep', 'x', 'y'), join(base, 'sub', 'link'));
      expect(check(verifier, evidence.fileHash('sub/link/../a.txt', sha256Hex('deep a')))).toBe('ok');
      expect(check(verifier, evidence.fileHash('sub/link/../a.txt', sha256Hex('sub a')))).toMatch(/has sha256/);
    });
  });

  describe('what a path names', () => {
    it(
      'reads a FIFO never: file-hash refuses it without blocking, file-exists does not count it',
      { timeout: 30_000 },
      () => {
        const { base } = setup();
        const fifo = spawnSync('mkfifo', [join(base, 'pipe')]);
        expect(fifo.status, `mkfifo: ${String(fifo.error ?? fifo.stderr)}`).toBe(0);
        // A blocking open of a FIFO hangs the whole thread, so the check runs in a child that is killed if it hangs.
        const script =
          `const { EvidenceVerifier, evidence } = await import(${JSON.stringify(pathToFileURL(builtPath('src/evidence.ts')).href)});` +
          `const v = new EvidenceVerifier({ baseDir: process.argv[1] });` +
          `const r = v.verify(evidence.pack(evidence.fileHash('pipe', '0'.repeat(64)), evidence.fileExists('pipe')));` +
          `console.log(JSON.stringify(r.items.map((i) => i.reason ?? 'ok')));`;
        const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, base], {
          encoding: 'utf8',
          timeout: 15_000,
          killSignal: 'SIGKILL',
        });
        expect(child.error?.message, 'the verification blocked on the FIFO and was killed').toBeUndefined();
        expect(child.stderr).toBe('');
        const [hash, exists] = JSON.parse(child.stdout) as string[];
        expect(hash).toMatch(/"pipe" is a FIFO, not a regular file/);
        expect(exists).toMatch(/"pipe" is a FIFO, not a regular file or directory/);
      },
    );

    it('counts a directory as existing but hashes only regular files', () => {
      const { base, verifier } = setup();
      mkdirSync(join(base, 'dir'));
      expect(check(verifier, evidence.fileExists('dir'))).toBe('ok');
      expect(check(verifier, evidence.fileHash('dir', sha256Hex('')))).toMatch(
        /"dir" is a directory, not a regular file/,
      );
    });

    it.each([
      ['a symlink loop', 'loop', /"loop": a symlink loop \(too many levels of symbolic links\)/],
      ['a name too long', 'x'.repeat(5000), /name too long/],
      ['a file used as a directory', 'out.txt/inner', /"out\.txt\/inner": a component of the path is not a directory/],
    ])('reports %s as such, not as missing, in a short message', (_what, path, message) => {
      const { base, verifier } = setup();
      symlinkSync('loop', join(base, 'loop'));
      for (const item of [evidence.fileExists(path), evidence.fileHash(path, sha256Hex(''))]) {
        const reason = check(verifier, item);
        expect(reason).toMatch(message);
        expect(reason).not.toMatch(/does not exist/);
        expect(reason.length).toBeLessThan(300);
      }
    });

    it('never repeats a long path in full', () => {
      const { verifier } = setup();
      const long = `../${'y'.repeat(5000)}`;
      const reason = check(verifier, evidence.fileExists(long));
      expect(reason).toMatch(/escapes the base directory/);
      expect(reason).toContain('… (5003 characters)');
      expect(reason.length).toBeLessThan(300);
    });
  });

  describe('command-exit', () => {
    it('runs argv in baseDir without a shell and passes on the expected exit code', () => {
      const { base, verifier } = setup();
      expect(
        check(verifier, evidence.commandExit(nodeArgv('process.exit(require("fs").existsSync("out.txt") ? 0 : 7)'))),
      ).toBe('ok');
      // Without a shell "; touch pwned" is part of one file name, not a second command.
      expect(check(verifier, evidence.commandExit(['touch', 'a; touch pwned']))).toBe('ok');
      expect(existsSync(join(base, 'a; touch pwned'))).toBe(true);
      expect(existsSync(join(base, 'pwned'))).toBe(false);
      expect(check(verifier, evidence.commandExit(['false'], { expectedExitCode: 1 }))).toBe('ok');
    });

    it('fails a command that exits otherwise, even one a caller would have called successful', () => {
      const { base, verifier } = setup();
      expect(check(verifier, evidence.shellExit('touch ran && exit 3'))).toMatch(
        /command "touch ran && exit 3" exited with 3, expected 0/,
      );
      expect(existsSync(join(base, 'ran'))).toBe(true);
      expect(check(verifier, evidence.commandExit(nodeArgv('process.exit(2)'), { expectedExitCode: 0 }))).toMatch(
        /exited with 2, expected 0/,
      );
    });

    it('says when the command was killed by a signal, timed out or could not start', () => {
      const { verifier } = setup();
      expect(check(verifier, evidence.commandExit(nodeArgv('process.kill(process.pid, "SIGTERM")')))).toMatch(
        /was killed by SIGTERM, expected exit code 0/,
      );
      expect(
        check(verifier, evidence.commandExit(nodeArgv('setTimeout(() => {}, 60_000)'), { timeoutMs: 300 })),
      ).toMatch(/timed out after 300 ms and was killed/);
      expect(check(verifier, evidence.commandExit(['agentos-no-such-program']))).toMatch(
        /command \["agentos-no-such-program"\] could not be started: ENOENT/,
      );
    });

    it.each([
      [
        'the old shape with a caller-supplied exit code',
        { kind: 'command-exit', command: 'touch ran', exitCode: 0 },
        /written by an older version/,
      ],
      [
        'a command string without shell: true',
        { kind: 'command-exit', command: 'touch ran' },
        /needs argv, or command with shell: true/,
      ],
      ['an empty argv', { kind: 'command-exit', argv: [] }, /argv must be a non-empty array of strings/],
      [
        'a bad timeout',
        { kind: 'command-exit', argv: ['touch', 'ran'], timeoutMs: -1 },
        /timeoutMs must be a positive integer/,
      ],
    ])('refuses %s without running anything', (_what, item, message) => {
      const { base, verifier } = setup();
      expect(check(verifier, item as unknown as EvidenceItem)).toMatch(message);
      expect(existsSync(join(base, 'ran'))).toBe(false);
    });
  });
});

describe('CheckpointManager with command-exit evidence', () => {
  const tempDb = useTempDb();

  it('runs the command at commit and again at verify(id)', async () => {
    const { db, dir } = tempDb();
    const cm = new CheckpointManager(db, { baseDir: dir });
    writeFileSync(join(dir, 'built.flag'), '');
    const pack: EvidencePack = evidence.pack(
      evidence.commandExit(nodeArgv('process.exit(require("fs").existsSync("built.flag") ? 0 : 5)')),
    );
    const checkpoint = await cm.commit(cm.begin('t', 'build', {}), pack);
    expect(checkpoint.verified).toBe(true);
    rmSync(join(dir, 'built.flag'));
    const again = await cm.verify(checkpoint.id);
    expect(again.ok).toBe(false);
    expect(again.failures[0]?.reason).toMatch(/exited with 5, expected 0/);
    expect((await cm.get(checkpoint.id)).verified).toBe(false);
  });

  it('refuses a stored item of the old shape at verify(id) without running it', async () => {
    const { db, dir } = tempDb();
    const cm = new CheckpointManager(db, { baseDir: dir, autoVerify: false });
    const old = {
      items: [{ kind: 'command-exit', command: 'touch ran', exitCode: 0, expectedExitCode: 0 }],
    } as unknown as EvidencePack;
    const checkpoint = await cm.commit(cm.begin('t', 'old', {}), old);
    const result = await cm.verify(checkpoint.id);
    expect(result.ok).toBe(false);
    expect(result.failures[0]?.reason).toMatch(/written by an older version/);
    expect(existsSync(join(dir, 'ran'))).toBe(false);
  });
});
