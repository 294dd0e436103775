import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LossyFsBuildError, lossyFsBinary } from './build.js';

let probed: { reason: string | null } | undefined;

/**
 * Why lossyfs cannot run on this machine ("no FUSE: …"), or null when it can. Checked once per process: the
 * platform, /dev/fuse, root, fusermount3, the build, and finally a real mount and unmount of a scratch folder (a
 * container may have /dev/fuse and still forbid mounting).
 */
export function lossyFsUnavailable(): string | null {
  probed ??= { reason: probe() };
  return probed.reason;
}

function probe(): string | null {
  if (process.platform !== 'linux') return `no FUSE: lossyfs runs on Linux, this is ${process.platform}`;
  if (!existsSync('/dev/fuse')) return 'no FUSE: /dev/fuse is missing';
  try {
    accessSync('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    return 'no FUSE: /dev/fuse is not readable and writable by this user';
  }
  const uid = process.getuid?.();
  if (uid !== 0) return `no FUSE: mounting lossyfs needs root, this process runs as uid ${uid ?? 'unknown'}`;
  if (spawnSync('fusermount3', ['-V']).error) return 'no FUSE: fusermount3 is not installed (apt-get install fuse3)';
  let binary: string;
  try {
    binary = lossyFsBinary();
  } catch (error) {
    if (error instanceof LossyFsBuildError) return `no FUSE: ${error.message}`;
    throw error;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'lossyfs-probe-'));
  try {
    // stdin is closed at once, so the file system detaches itself right after mounting.
    const result = spawnSync(binary, [scratch, scratch], { input: '', encoding: 'utf8', timeout: 10_000 });
    if (result.status === 0 && result.stdout.startsWith('ready')) return null;
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty first line says nothing either
    const why = (result.error?.message ?? result.stderr).trim().split('\n')[0] || `exit status ${result.status}`;
    return `no FUSE: a trial mount failed: ${why}`;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
