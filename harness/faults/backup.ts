import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Fault } from '../schema.js';
import { sqliteFile, type Injector } from './injector.js';

type BackupFault = Extract<Fault, { kind: 'backup' }>;

/** Where an online backup is written, in the run folder. */
export const BACKUP_FILE = 'backup.db';

/**
 * Takes an online backup of the database while the workers go on writing and dying: VACUUM INTO, through the
 * harness's own connection, copies one consistent snapshot (a read transaction) into a new file. It runs to the end
 * within the fault's action (SQLite's incremental backup API would go on in the background, and could still be
 * running when the scenario ends). 'injected' marks its start, 'healed' its completion.
 */
export const backup: Injector<BackupFault> = {
  needs: 'sqlite-file',
  inject(_fault, rt) {
    rt.injected(`online backup started into ${BACKUP_FILE}`, 1);
    try {
      sqliteFile(rt).sqlite.prepare('VACUUM INTO ?').run(join(rt.runDir, BACKUP_FILE));
      rt.healed(`online backup complete: ${statSync(join(rt.runDir, BACKUP_FILE)).size} bytes`);
    } catch (error) {
      rt.healed(`online backup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  },
  fired(_fault, history) {
    const done = history
      .select('fault.healed', { where: { fault: 'backup' } })
      .find((e) => e.detail.startsWith('online backup complete'));
    return done ? { fired: true, detail: done.detail } : { fired: false, detail: 'no online backup completed' };
  },
};
