import { execFileSync } from 'node:child_process';
import { cpus, platform, release, totalmem } from 'node:os';
import Database from 'better-sqlite3';

export interface Environment {
  commit: string;
  dirty: boolean;
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
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Where and on what a run happened: enough to tell whether two reports are comparable. */
export function environment(root: string): Environment {
  const memory = new Database(':memory:');
  const sqlite = memory.prepare('SELECT sqlite_version()').pluck().get() as string;
  memory.close();
  const cpu = cpus();
  return {
    commit: git(['rev-parse', '--short', 'HEAD'], root) || 'unknown',
    dirty: git(['status', '--porcelain', '--untracked-files=no'], root) !== '',
    node: process.version,
    v8: process.versions.v8,
    sqlite,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
  };
}
