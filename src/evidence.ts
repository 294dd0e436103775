import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** One piece of evidence that a step really did what its checkpoint claims. */
export type EvidenceItem =
  | { kind: 'file-exists'; path: string }
  | { kind: 'file-hash'; path: string; sha256: string }
  | { kind: 'command-exit'; command: string; exitCode: number; expectedExitCode?: number };

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

/** Convenience constructors for evidence items. */
export const evidence = {
  fileExists: (path: string): EvidenceItem => ({ kind: 'file-exists', path }),
  fileHash: (path: string, sha256: string): EvidenceItem => ({ kind: 'file-hash', path, sha256 }),
  commandExit: (command: string, exitCode: number, expectedExitCode = 0): EvidenceItem => ({
    kind: 'command-exit',
    command,
    exitCode,
    expectedExitCode,
  }),
  pack: (...items: EvidenceItem[]): EvidencePack => ({ items }),
};

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

type Resolved = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Checks evidence items. Every path is resolved inside baseDir; a path that escapes it — by `..`, by being absolute
 * elsewhere, or through a symlink — fails with a reason and is never read.
 */
export class EvidenceVerifier {
  readonly baseDir: string;
  #baseReal: string | undefined;

  constructor(options: { baseDir: string }) {
    this.baseDir = resolve(options.baseDir);
  }

  verify(pack: EvidencePack | undefined | null): VerificationResult {
    // Items often name the same file (exists + hash): resolve each path once per verification.
    const resolved = new Map<string, Resolved>();
    const resolve = (p: string): Resolved => {
      let r = resolved.get(p);
      if (r === undefined) resolved.set(p, (r = this.#resolve(p)));
      return r;
    };
    const items = (pack?.items ?? []).map((item, index) => this.#verifyItem(item, index, resolve));
    const failures = items.filter((r) => !r.ok);
    return { ok: failures.length === 0, items, failures };
  }

  #verifyItem(item: EvidenceItem, index: number, resolvePath: (p: string) => Resolved): EvidenceItemResult {
    const fail = (reason: string): EvidenceItemResult => ({ index, kind: item.kind, ok: false, reason });
    switch (item.kind) {
      case 'file-exists': {
        const target = resolvePath(item.path);
        if (!target.ok) return fail(target.reason);
        return { index, kind: item.kind, ok: true };
      }
      case 'file-hash': {
        const target = resolvePath(item.path);
        if (!target.ok) return fail(target.reason);
        let content: Buffer;
        try {
          content = readFileSync(target.path);
        } catch (error) {
          return fail(`"${item.path}" cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        }
        const actual = sha256Hex(content);
        if (actual !== item.sha256.toLowerCase()) {
          return fail(`"${item.path}" has sha256 ${actual}, expected ${item.sha256}`);
        }
        return { index, kind: item.kind, ok: true };
      }
      case 'command-exit': {
        const expected = item.expectedExitCode ?? 0;
        if (item.exitCode !== expected) {
          return fail(`command "${item.command}" exited with ${item.exitCode}, expected ${expected}`);
        }
        return { index, kind: item.kind, ok: true };
      }
      default: {
        const unknown: { kind?: unknown } = item;
        return { index, kind: String(unknown.kind) as EvidenceKind, ok: false, reason: `unknown evidence kind ${JSON.stringify(unknown.kind)}` };
      }
    }
  }

  /** The real path of p if it exists inside the base directory, or why it is refused. */
  #resolve(p: string): Resolved {
    if (typeof p !== 'string' || p.length === 0) return { ok: false, reason: 'path is empty' };
    const candidate = resolve(this.baseDir, p);
    if (!isInside(this.baseDir, candidate)) {
      return { ok: false, reason: `"${p}" escapes the base directory ${this.baseDir}` };
    }
    const base = this.#realBase();
    if (base === undefined) return { ok: false, reason: `base directory ${this.baseDir} does not exist` };
    let real: string;
    try {
      // The native realpath is one system call; the JS one lstat()s every path component.
      real = realpathSync.native(candidate);
    } catch {
      return { ok: false, reason: `"${p}" does not exist` };
    }
    if (!isInside(base, real)) {
      return { ok: false, reason: `"${p}" resolves through a symlink to ${real}, outside the base directory` };
    }
    return { ok: true, path: real };
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

function isInside(base: string, candidate: string): boolean {
  const rel = relative(base, candidate);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
