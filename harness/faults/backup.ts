import { join } from 'node:path';
import type { Fault } from '../schema.js';
import type { Injector } from './injector.js';

type BackupFault = Extract<Fault, { kind: 'backup' }>;

/** Where an online backup is written, in the run folder. */
export const BACKUP_FILE = 'backup.db';

/**
 * Takes an online backup of the database (SQLite's backup API, through the harness's own connection) while the
 * workers go on writing and dying. 'injected' marks its start, 'healed' its completion.
 */
export const backup: Injector<BackupFault> = {
  inject(_fault, rt) {
    rt.injected(`online backup started into ${BACKUP_FILE}`, 1);
    rt.db.sqlite
      .backup(join(rt.runDir, BACKUP_FILE))
      .then((progress) => rt.healed(`online backup complete: ${progress.totalPages} pages`))
      .catch((error: unknown) => rt.healed(`online backup failed: ${error instanceof Error ? error.message : String(error)}`));
  },
  fired(_fault, history) {
    const done = history.select('fault.healed', { where: { fault: 'backup' } }).find((e) => e.detail.startsWith('online backup complete'));
    return done ? { fired: true, detail: done.detail } : { fired: false, detail: 'no online backup completed' };
  },
};
