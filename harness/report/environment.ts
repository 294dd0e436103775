import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpus, platform, release, totalmem } from 'node:os';
import Database from 'better-sqlite3';

export interface Environment {
  commit: string;
  dirty: boolean;
  /** When dirty: a short hash of the uncommitted changes to tracked files (`git diff HEAD`), naming that state. */
  diff?: string | undefined;
  node: string;
  v8: string;
  sqlite: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
}

function git(args: string[], cwd: string): string {
  try {
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      // A large uncommitted change is hashed whole (the default buffer of 1 MiB would cut it off).
      maxBuffer: 1024 ** 3,
    }).trim();
  } catch {
    return '';
  }
}

/** The state of the code in `root`: its commit, and whether tracked files have uncommitted changes (and which). */
export function codeState(root: string): Pick<Environment, 'commit' | 'dirty' | 'diff'> {
  const dirty = git(['status', '--porcelain', '--untracked-files=no'], root) !== '';
  const diff = dirty ? git(['diff', 'HEAD', '--binary', '--no-ext-diff', '--no-color'], root) : '';
  return {
    commit: git(['rev-parse', '--short', 'HEAD'], root) || 'unknown',
    dirty,
    ...(dirty ? { diff: createHash('sha256').update(diff).digest('hex').slice(0, 8) } : {}),
  };
}

/** Where and on what a run happened: enough to tell whether two reports are comparable. */
export function environment(root: string): Environment {
  const memory = new Database(':memory:');
  const sqlite = memory.prepare('SELECT sqlite_version()').pluck().get() as string;
  memory.close();
  const cpu = cpus();
  return {
    ...codeState(root),
    node: process.version,
    v8: process.versions.v8,
    sqlite,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
  };
}
