import { execFileSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type DiskFullFault = Extract<Fault, { kind: 'disk-full' }>;

/** The file that fills the disk; removing it is the heal. */
const FILLER = '.disk-filler';

/**
 * Puts the run folder on a small file system of its own (tmpfs), and on its trigger fills it to the last byte, so
 * every write the database makes fails for lack of space; the heal frees the space again.
 */
export const diskFull: Injector<DiskFullFault> = {
  needs: 'sqlite-file',
  unavailable() {
    if (process.platform !== 'linux') return `needs Linux tmpfs; this is ${process.platform}`;
    if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
    return null;
  },
  async setup(fault, { runDir }) {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${fault.sizeMb}m,mode=0700`, 'tmpfs', runDir]);
    return async () => {
      // What the run left (database, history) is copied out first and back into the folder under the mount, so a run
      // kept for inspection keeps it. The filler is not worth keeping.
      rmSync(join(runDir, FILLER), { force: true });
      const saved = mkdtempSync(`${runDir}-saved-`);
      cpSync(runDir, saved, { recursive: true });
      // Lazy: a worker that is still being reaped may hold a file open for a moment.
      execFileSync('umount', ['-l', runDir]);
      cpSync(saved, runDir, { recursive: true });
      rmSync(saved, { recursive: true, force: true });
    };
  },
  inject(fault, rt) {
    const fd = openSync(join(rt.runDir, FILLER), 'w');
    const chunk = Buffer.alloc(1 << 20);
    let filled = 0;
    try {
      for (;;) filled += writeSync(fd, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      // The last partial chunk: fill what is left byte by byte in bigger-to-smaller steps.
      for (let size = chunk.length >> 1; size >= 1; size >>= 1) {
        try {
          for (;;) filled += writeSync(fd, chunk, 0, size);
        } catch {
          // Smaller next.
        }
      }
    } finally {
      closeSync(fd);
    }
    rt.injected(`the ${fault.sizeMb} MB file system of the run folder filled (${filled} bytes)`, filled);
  },
  heal(_fault, rt) {
    const filler = join(rt.runDir, FILLER);
    if (!existsSync(filler)) return;
    rmSync(filler, { force: true });
    rt.healed('space freed');
  },
  fired(_fault, history) {
    const failed = history.select('op.fail').filter((e) => e.error === 'DiskFullError');
    return failed.length > 0
      ? { fired: true, detail: `${failed.length} write(s) failed with DiskFullError` }
      : { fired: false, detail: 'no write failed for lack of space' };
  },
};
