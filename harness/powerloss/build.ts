import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../workers/build.js';

/** The file system's C source, compiled on first use. */
export const LOSSYFS_SOURCE = join(PACKAGE_ROOT, 'harness', 'powerloss', 'lossyfs.c');
/** Where built binaries go (git-ignored); one per version of the source. */
export const LOSSYFS_BUILD_DIR = join(PACKAGE_ROOT, '.build', 'lossyfs');

/** The compiler or libfuse3 is missing, or the source did not compile; the message says which. */
export class LossyFsBuildError extends Error {
  override name = 'LossyFsBuildError';
}

/**
 * Path of the lossyfs binary for the current source, compiled with the machine's `cc` against libfuse3 if it is not
 * built yet. The binary is named after the source's hash and renamed into place, so concurrent builds never run a
 * half-written file and an edited source is rebuilt.
 */
export function lossyFsBinary(): string {
  const source = readFileSync(LOSSYFS_SOURCE);
  const flags = run(
    'pkg-config',
    ['--cflags', '--libs', 'fuse3'],
    'the libfuse3 headers are missing (apt-get install libfuse3-dev)',
  );
  const hash = createHash('sha256').update(source).update(flags).digest('hex').slice(0, 12);
  const binary = join(LOSSYFS_BUILD_DIR, `lossyfs-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(LOSSYFS_BUILD_DIR, { recursive: true });
  const staging = `${binary}.${process.pid}.tmp`;
  try {
    run(
      'cc',
      ['-O2', '-Wall', '-o', staging, LOSSYFS_SOURCE, ...flags.split(/\s+/).filter(Boolean)],
      'no C compiler (cc) could build lossyfs',
    );
    renameSync(staging, binary);
  } finally {
    rmSync(staging, { force: true });
  }
  return binary;
}

/** Runs a build tool; a missing tool or a failure is a LossyFsBuildError with `problem` and the tool's output. */
function run(command: string, args: string[], problem: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  if (result.error || result.status !== 0) {
    const output = (result.error?.message ?? `${result.stderr}${result.stdout}`)
      .trim()
      .split('\n')
      .slice(0, 8)
      .join('\n');
    throw new LossyFsBuildError(
      `${problem}: \`${command} ${args.join(' ')}\` ${result.error ? 'could not run' : `exited with ${result.status}`}${output ? `:\n${output}` : ''}`,
    );
  }
  return result.stdout.trim();
}
