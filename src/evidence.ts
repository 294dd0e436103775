import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { hasNul, quote, runnableCommand, shorten, shown } from './evidence-command.js';
import { InvalidArgumentError } from './validate.js';

/**
 * When a command-exit command passes: its exit code (default 0), and how long it may run in ms before it is killed
 * (only the process itself: what it started in the background may outlive it).
 */
export interface CommandExitOptions {
  expectedExitCode?: number;
  timeoutMs?: number;
}

/**
 * A command run in baseDir at every verification: `argv` (program and arguments, no shell), or `command` run by
 * /bin/sh when `shell: true` is given explicitly.
 */
export type CommandExitItem = { kind: 'command-exit' } & CommandExitOptions &
  ({ argv: string[] } | { command: string; shell: true });

/** One piece of evidence that a step really did what its checkpoint claims. */
export type EvidenceItem =
  | { kind: 'file-exists'; path: string }
  | { kind: 'file-hash'; path: string; sha256: string }
  | CommandExitItem;

export type EvidenceKind = EvidenceItem['kind'];

/** The evidence attached to one checkpoint. */
export interface EvidencePack {
  items: EvidenceItem[];
}

export interface EvidenceItemResult {
  index: number;
  kind: EvidenceKind;
  ok: boolean;
  reason?: string;
}

export interface VerificationResult {
  ok: boolean;
  items: EvidenceItemResult[];
  failures: EvidenceItemResult[];
}

/**
 * Convenience constructors for evidence items. Each refuses, with InvalidArgumentError, an item no verification could
 * check (an empty path or argv, a NUL byte, a bad option): a stored item that cannot be checked only fails later.
 */
export const evidence = {
  fileExists: (path: string): EvidenceItem => ({ kind: 'file-exists', path: checkedPath('evidence.fileExists', path) }),
  fileHash: (path: string, sha256: string): EvidenceItem => {
    if (typeof sha256 !== 'string') {
      throw new InvalidArgumentError(`evidence.fileHash: sha256 must be a hex string, got ${shown(sha256)}`);
    }
    return { kind: 'file-hash', path: checkedPath('evidence.fileHash', path), sha256 };
  },
  /** Runs argv[0] with the other elements as its arguments, without a shell. */
  commandExit: (argv: string[], options: CommandExitOptions = {}): EvidenceItem =>
    checkedCommand('evidence.commandExit', {
      kind: 'command-exit',
      argv: Array.isArray(argv) ? [...argv] : argv,
      ...options,
    }),
  /** Runs command through /bin/sh: for pipelines and redirections; quote what you interpolate. */
  shellExit: (command: string, options: CommandExitOptions = {}): EvidenceItem =>
    checkedCommand('evidence.shellExit', { kind: 'command-exit', command, shell: true, ...options }),
  pack: (...items: EvidenceItem[]): EvidencePack => ({ items }),
};

function checkedPath(what: string, path: string): string {
  const problem = pathProblem(path);
  if (problem !== undefined) throw new InvalidArgumentError(`${what}: ${problem}`);
  return path;
}

function checkedCommand(what: string, item: CommandExitItem): CommandExitItem {
  const command = runnableCommand(item);
  if ('problem' in command) throw new InvalidArgumentError(`${what}: ${command.problem}`);
  return item;
}

/** Why p can never name a file, or undefined. */
function pathProblem(p: unknown): string | undefined {
  if (typeof p !== 'string' || p.length === 0) return `path must be a non-empty string, got ${shown(p)}`;
  if (hasNul(p)) return `path ${quote(p)} contains a NUL byte, which no file name can hold`;
  return undefined;
}

/** The result of evidence that is not a pack at all: one failure saying so. */
export function unreadableEvidence(reason: string): VerificationResult {
  const failure: EvidenceItemResult = { index: 0, kind: 'unknown' as EvidenceKind, ok: false, reason };
  return { ok: false, items: [failure], failures: [failure] };
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

type Resolved = { ok: true; path: string; stats: Stats } | { ok: false; reason: string };

/**
 * Checks evidence items. Every path is resolved inside baseDir as the OS would resolve it; a path that escapes it — by
 * `..`, by being absolute elsewhere, or through a symlink — fails with a reason and is never read. file-exists accepts
 * a regular file or a directory; file-hash only a regular file (a FIFO or device is never opened for reading).
 * command-exit runs its command in baseDir, synchronously, killed after its timeout.
 */
export class EvidenceVerifier {
  readonly baseDir: string;
  #baseReal: string | undefined;

  constructor(options: { baseDir: string }) {
    const { baseDir } = options;
    if (typeof baseDir !== 'string' || hasNul(baseDir)) {
      throw new InvalidArgumentError(`baseDir must be a directory path without NUL bytes, got ${shown(baseDir)}`);
    }
    this.baseDir = resolve(baseDir);
  }

  /** Checks every item; never throws for what a pack holds: an item that cannot be checked fails with the reason. */
  verify(pack: EvidencePack | undefined | null): VerificationResult {
    if (pack === undefined || pack === null) return { ok: true, items: [], failures: [] };
    // Stored packs are parsed JSON: anything but { items: [...] } fails rather than passing as an empty pack.
    const list: unknown = typeof pack === 'object' ? pack.items : undefined;
    if (!Array.isArray(list)) return unreadableEvidence(`evidence must be { items: [...] }, got ${shown(pack)}`);
    // Items often name the same file (exists + hash): resolve each path once per verification.
    const resolved = new Map<string, Resolved>();
    const resolve = (p: string): Resolved => {
      let r = resolved.get(p);
      if (r === undefined) resolved.set(p, (r = this.#resolve(p)));
      return r;
    };
    const items = (list as unknown[]).map((item, index) => this.#verifyItem(item, index, resolve));
    const failures = items.filter((r) => !r.ok);
    return { ok: failures.length === 0, items, failures };
  }

  #verifyItem(parsed: unknown, index: number, resolvePath: (p: string) => Resolved): EvidenceItemResult {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      const reason = `an evidence item must be an object, got ${shown(parsed)}`;
      return { index, kind: 'unknown' as EvidenceKind, ok: false, reason };
    }
    const item = parsed as EvidenceItem;
    const fail = (reason: string): EvidenceItemResult => ({ index, kind: item.kind, ok: false, reason });
    switch (item.kind) {
      case 'file-exists': {
        const target = resolvePath(item.path);
        if (!target.ok) return fail(target.reason);
        if (!target.stats.isFile() && !target.stats.isDirectory()) {
          return fail(`${quote(item.path)} is ${fileType(target.stats)}, not a regular file or directory`);
        }
        return { index, kind: item.kind, ok: true };
      }
      case 'file-hash': {
        if (typeof item.sha256 !== 'string') return fail('sha256 must be a string');
        const target = resolvePath(item.path);
        if (!target.ok) return fail(target.reason);
        if (!target.stats.isFile()) return fail(`${quote(item.path)} is ${fileType(target.stats)}, not a regular file`);
        const actual = hashRegularFile(target.path);
        if (typeof actual !== 'string') return fail(`${quote(item.path)} ${actual.reason}`);
        if (actual !== item.sha256.toLowerCase()) {
          return fail(`${quote(item.path)} has sha256 ${actual}, expected ${shorten(item.sha256)}`);
        }
        return { index, kind: item.kind, ok: true };
      }
      case 'command-exit': {
        const reason = this.#runCommand(item);
        return reason === undefined ? { index, kind: item.kind, ok: true } : fail(reason);
      }
      default: {
        const unknown: { kind?: unknown } = item;
        return {
          index,
          kind: String(unknown.kind) as EvidenceKind,
          ok: false,
          reason: `unknown evidence kind ${JSON.stringify(unknown.kind)}`,
        };
      }
    }
  }

  /** Runs the item's command in the base directory; undefined when it exited as expected, else why not. */
  #runCommand(item: CommandExitItem): string | undefined {
    const command = runnableCommand(item);
    if ('problem' in command) return command.problem;
    const { run, what, expected, timeoutMs } = command;
    const cwd = this.#realBase();
    if (cwd === undefined) return `base directory ${quote(this.baseDir)} does not exist`;
    // SIGKILL: a command that ignores SIGTERM would otherwise keep the verifier waiting past its timeout.
    const options = { cwd, timeout: timeoutMs, killSignal: 'SIGKILL' as const, stdio: 'ignore' as const };
    const result =
      'argv' in run
        ? spawnSync(run.argv[0], run.argv.slice(1), options)
        : spawnSync(run.command, { ...options, shell: true });
    const code = (result.error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ETIMEDOUT') return `command ${what} timed out after ${timeoutMs} ms and was killed`;
    if (result.error) return `command ${what} could not be started: ${code ?? result.error.message}`;
    if (result.signal) return `command ${what} was killed by ${result.signal}, expected exit code ${expected}`;
    if (result.status !== expected) return `command ${what} exited with ${result.status}, expected ${expected}`;
    return undefined;
  }

  /** The real path and type of p if it exists inside the base directory, or why it is refused. */
  #resolve(p: string): Resolved {
    const problem = pathProblem(p);
    if (problem !== undefined) return { ok: false, reason: problem };
    // A path whose text leaves the base directory is refused, whatever symlinks would make of it.
    if (!isInside(this.baseDir, resolve(this.baseDir, p))) {
      return { ok: false, reason: `${quote(p)} escapes the base directory ${quote(this.baseDir)}` };
    }
    const base = this.#realBase();
    if (base === undefined) return { ok: false, reason: `base directory ${quote(this.baseDir)} does not exist` };
    let real: string;
    let stats: Stats;
    try {
      // realpath(3) gets the path unnormalised, so a `..` after a symlink goes up from the link's target, as open()
      // would; path.resolve and the JS realpathSync would apply it lexically first and check a different file.
      real = realpathSync.native(isAbsolute(p) ? p : `${this.baseDir}${sep}${p}`);
      stats = statSync(real);
    } catch (error) {
      return { ok: false, reason: `${quote(p)}${errnoReason(error)}` };
    }
    if (!isInside(base, real)) {
      return {
        ok: false,
        reason: `${quote(p)} resolves through a symlink to ${quote(real)}, outside the base directory`,
      };
    }
    return { ok: true, path: real, stats };
  }

  #realBase(): string | undefined {
    if (this.#baseReal === undefined) {
      try {
        this.#baseReal = realpathSync.native(this.baseDir);
      } catch {
        return undefined;
      }
    }
    return this.#baseReal;
  }
}

/** sha256 of a regular file's content, or why it cannot be read. */
function hashRegularFile(path: string): string | { reason: string } {
  let fd: number;
  try {
    // O_NONBLOCK: should the path have become a FIFO since it was stat()ed, open returns at once and fstat refuses it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    return { reason: `cannot be opened: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { reason: `is ${fileType(stats)}, not a regular file` };
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) hash.update(buffer.subarray(0, n));
    return hash.digest('hex');
  } catch (error) {
    return { reason: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  } finally {
    closeSync(fd);
  }
}

function fileType(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return stats.isFile() ? 'a regular file' : 'of an unknown type';
}

/** What a failed resolution means, following the quoted path. */
function errnoReason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return ' does not exist';
    case 'ELOOP':
      return ': a symlink loop (too many levels of symbolic links)';
    case 'ENAMETOOLONG':
      return ': name too long';
    case 'ENOTDIR':
      return ': a component of the path is not a directory';
    case 'EACCES':
      return ': permission denied';
    default:
      return `: cannot be resolved (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
}

function isInside(base: string, candidate: string): boolean {
  const rel = relative(base, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
