import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What the layer stores (tool outputs, LLM prompts and responses, agent state) is where secrets end up, so the files
 * and folders it creates are its owner's alone, whatever the umask. SQLite gives the -wal and -shm files the main
 * file's mode, so a private database file keeps them private too.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_FOLDER_MODE = 0o700;
export const WIDE_PERMISSIONS_WARNING = 'AGENTOS_WIDE_PERMISSIONS';

/** Creates dir and any missing parent as 0700; folders that already exist are left as they are. */
export function createPrivateFolder(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  if (first === undefined) return;
  // The umask may have cleared bits of the mode: set it exactly on each folder created, from first down to dir.
  for (let folder = dir; ; folder = dirname(folder)) {
    chmodSync(folder, PRIVATE_FOLDER_MODE);
    if (folder === first || folder === dirname(folder)) break;
  }
}

/** Creates file empty (SQLite makes it a new database) as 0600; a file created meanwhile by another process is kept. */
export function createPrivateFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') return;
    throw error;
  }
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE); // exactly 0600, whatever the umask cleared
  } finally {
    closeSync(fd);
  }
}

/**
 * Warns (process warning AGENTOS_WIDE_PERMISSIONS) when the database, its -wal or its -shm can be read or written by
 * users other than the owner: such a file was not created by this layer, and is left as it is.
 */
export function warnIfNotPrivate(file: string): void {
  if (process.platform === 'win32') return; // no unix modes to judge
  const wide = [file, `${file}-wal`, `${file}-shm`].flatMap((path) => {
    const mode = modeOf(path);
    return mode !== undefined && (mode & 0o077) !== 0 ? [{ path, mode }] : [];
  });
  if (wide.length === 0) return;
  const named = wide.map(({ path, mode }) => `${path} (mode 0${mode.toString(8).padStart(3, '0')})`).join(', ');
  process.emitWarning(
    `${named}: other users than the owner may read or write what it holds, secrets included (tool outputs, LLM ` +
      `prompts and responses, agent state). Left as found; chmod 600 each unless that is intended.`,
    { code: WIDE_PERMISSIONS_WARNING },
  );
}

/** The permission bits of path; undefined when it does not exist (another connection's close may remove -wal, -shm). */
function modeOf(path: string): number | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats === undefined ? undefined : stats.mode & 0o777;
}
