import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import type { DropReport } from './lossyfs.js';

/** Folder, in the run folder, where the n-th power loss's survivors are kept: power-loss-1, power-loss-2, … */
export function survivorsDir(runDir: string, index: number): string {
  return join(runDir, `power-loss-${index}`);
}

/** What a power loss did, saved beside the database files that survived it. */
export interface PowerLossRecord {
  index: number;
  /** Wall-clock ms when SIGKILL went out: acknowledgements before this moment are "before the power loss". */
  killedAtMs: number;
  /** Workers that died in it. */
  killed: { id: string; pid: number }[];
  /** The database's file name (in the run folder and in the survivors folder). */
  database: string;
  drop: DropReport;
}

const RECORD_FILE = 'power-loss.json';

/**
 * Copies the database files as they are right after the drop (what a machine would find on its disk when it comes
 * back) into survivorsDir, with the record. The copies are fsynced, folders too, so a later power loss keeps them.
 * The -shm file is not copied: it is shared memory, rebuilt by the first connection after a power loss.
 */
export function saveSurvivors(runDir: string, dbPath: string, record: PowerLossRecord): string {
  const dir = survivorsDir(runDir, record.index);
  mkdirSync(dir, { recursive: true });
  const database = basename(dbPath);
  for (const suffix of ['', '-wal', '-journal']) {
    if (existsSync(dbPath + suffix)) {
      copyFileSync(dbPath + suffix, join(dir, database + suffix));
      fsyncPath(join(dir, database + suffix));
    }
  }
  writeFileSync(join(dir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
  fsyncPath(join(dir, RECORD_FILE));
  fsyncPath(dir);
  fsyncPath(runDir);
  return dir;
}

/** Every power loss recorded in the run folder, in order. */
export function readSurvivors(runDir: string): { dir: string; record: PowerLossRecord }[] {
  const indexes = existsSync(runDir)
    ? readdirSync(runDir)
        .map((name) => /^power-loss-(\d+)$/.exec(name)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
        .sort((a, b) => a - b)
    : [];
  return indexes.map((index) => {
    const dir = survivorsDir(runDir, index);
    return { dir, record: JSON.parse(readFileSync(join(dir, RECORD_FILE), 'utf8')) as PowerLossRecord };
  });
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
