import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lossyFsUnavailable } from './availability.js';
import { LossyFs } from './lossyfs.js';

const unavailable = lossyFsUnavailable();
const mounted: LossyFs[] = [];
const scratch: string[] = [];

/** A fresh lossyfs mounted over an empty temporary folder; unmounted after the test, pass or fail. */
async function freshMount(): Promise<LossyFs> {
  const dir = mkdtempSync(join(tmpdir(), 'lossyfs-test-'));
  scratch.push(dir);
  const fs = await LossyFs.mount(dir, dir);
  mounted.push(fs);
  return fs;
}

afterEach(async () => {
  const errors: unknown[] = [];
  for (const fs of mounted.splice(0)) await fs.unmount().catch((error: unknown) => errors.push(error));
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
  if (errors.length > 0) throw errors[0];
});

/** Writes a file and fsyncs it (content and size durable; its name is not until the folder is synced). */
function writeSynced(path: string, data: string | Buffer): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDir(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes at an offset without fsync. */
function writeAt(path: string, data: Buffer | string, position: number): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data, 0, Buffer.byteLength(data), position);
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(unavailable !== null)(`lossyfs${unavailable ? ` — not applicable: ${unavailable}` : ''}`, () => {
  it('keeps what was written and fsynced (file and folder) through a drop', async () => {
    const fs = await freshMount();
    const file = join(fs.mountPoint, 'kept.txt');
    writeSynced(file, 'durable bytes');
    syncDir(fs.mountPoint);

    const report = fs.drop();

    expect(readFileSync(file, 'utf8')).toBe('durable bytes');
    expect(report).toMatchObject({ bytesDropped: 0, filesDropped: 0, filesReverted: 0 });
  });

  it('drops what was written and not fsynced, and counts exactly those bytes', async () => {
    const fs = await freshMount();
    const file = join(fs.mountPoint, 'data.bin');
    writeSynced(file, Buffer.alloc(10_000, 'a'));
    syncDir(fs.mountPoint);
    writeAt(file, Buffer.alloc(3000, 'b'), 1000); // overwrite 3,000 bytes
    writeAt(file, Buffer.alloc(500, 'c'), 2000); // inside the same range: no new bytes
    writeAt(file, Buffer.alloc(2000, 'd'), 10_000); // extend by 2,000

    expect(fs.stats()).toMatchObject({ unsyncedBytes: 5000, unsyncedFiles: 1 });
    const report = fs.drop();

    expect(readFileSync(file)).toEqual(Buffer.alloc(10_000, 'a'));
    expect(report).toMatchObject({ bytesDropped: 5000, filesDropped: 0, filesReverted: 1 });
    expect(report.files).toEqual([{ path: '/data.bin', bytes: 5000, vanished: false }]);
    expect(fs.stats()).toMatchObject({ unsyncedBytes: 0, drops: 1 });
  });

  it('drops a new file whose folder was not fsynced, even if the file itself was', async () => {
    const fs = await freshMount();
    writeSynced(join(fs.mountPoint, 'orphan.txt'), '12345');

    const report = fs.drop();

    expect(existsSync(join(fs.mountPoint, 'orphan.txt'))).toBe(false);
    expect(report).toMatchObject({ filesDropped: 1, bytesDropped: 5 });
  });

  it('undoes a rename not followed by an fsync of the folder, and keeps one that was', async () => {
    const fs = await freshMount();
    const dir = fs.mountPoint;
    writeSynced(join(dir, 'a.txt'), 'A');
    writeSynced(join(dir, 'b.txt'), 'B');
    syncDir(dir);
    renameSync(join(dir, 'a.txt'), join(dir, 'a-renamed.txt'));
    renameSync(join(dir, 'b.txt'), join(dir, 'b-renamed.txt'));
    syncDir(dir);
    renameSync(join(dir, 'b-renamed.txt'), join(dir, 'b-again.txt'));
    writeSynced(join(dir, 'a-renamed.txt'), 'A2'); // content synced, but the next rename's folder is not

    fs.drop();

    expect(readdirSync(dir).sort()).toEqual(['a-renamed.txt', 'b-renamed.txt']);
    expect(readFileSync(join(dir, 'a-renamed.txt'), 'utf8')).toBe('A2');
  });

  it('undoes an unlink not followed by an fsync of the folder', async () => {
    const fs = await freshMount();
    const file = join(fs.mountPoint, 'gone.txt');
    writeSynced(file, 'still here');
    syncDir(fs.mountPoint);
    unlinkSync(file);

    const report = fs.drop();

    expect(readFileSync(file, 'utf8')).toBe('still here');
    expect(report.filesRestored).toBe(1);
  });

  it('drops a whole folder whose parent was not fsynced, with the files in it', async () => {
    const fs = await freshMount();
    const sub = join(fs.mountPoint, 'sub');
    mkdirSync(sub);
    writeSynced(join(sub, 'one.txt'), '1');
    writeSynced(join(sub, 'two.txt'), '22');
    syncDir(sub); // the folder's entries are durable, but the folder's own name is not

    const report = fs.drop();

    expect(existsSync(sub)).toBe(false);
    expect(report).toMatchObject({ filesDropped: 2, bytesDropped: 3 });
    expect(report.files.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: '/sub/one.txt', bytes: 1, vanished: true },
      { path: '/sub/two.txt', bytes: 2, vanished: true },
    ]);
  });

  it('tears the last unsynced write: only its first bytes reach the disk', async () => {
    const fs = await freshMount();
    const file = join(fs.mountPoint, 'wal');
    writeSynced(file, Buffer.alloc(4096, 'a'));
    syncDir(fs.mountPoint);
    writeAt(file, Buffer.alloc(1000, 'x'), 0); // an earlier unsynced write: lost entirely
    writeAt(file, Buffer.alloc(8192, 'z'), 4096); // the last write: torn after 512 bytes

    const report = fs.drop({ tear: 512 });

    const after = readFileSync(file);
    expect(after.length).toBe(4096 + 512);
    expect(after.subarray(0, 4096)).toEqual(Buffer.alloc(4096, 'a'));
    expect(after.subarray(4096)).toEqual(Buffer.alloc(512, 'z'));
    expect(report.torn).toEqual({ path: '/wal', offset: 4096, kept: 512, length: 8192, landed: true });
    expect(report.bytesDropped).toBe(1000 + 8192 - 512);
  });

  it('serves every reader the same bytes: a second open file sees a write at once', async () => {
    const fs = await freshMount();
    const file = join(fs.mountPoint, 'shared.txt');
    writeFileSync(file, 'first');
    const reader = openSync(file, 'r');
    try {
      writeAt(file, 'SECOND', 0);
      const buffer = Buffer.alloc(16);
      const n = readSync(reader, buffer, 0, 16, 0);
      expect(buffer.subarray(0, n).toString()).toBe('SECOND');
    } finally {
      closeSync(reader);
    }
  });

  it('writes its final content to the backing folder at unmount', async () => {
    const backing = mkdtempSync(join(tmpdir(), 'lossyfs-backing-'));
    const point = mkdtempSync(join(tmpdir(), 'lossyfs-point-'));
    scratch.push(backing, point);
    const fs = await LossyFs.mount(backing, point);
    mounted.push(fs);
    mkdirSync(join(point, 'nested'));
    writeFileSync(join(point, 'nested', 'file.txt'), 'saved');

    await fs.unmount();

    expect(readFileSync(join(backing, 'nested', 'file.txt'), 'utf8')).toBe('saved');
    expect(readdirSync(point)).toEqual([]);
  });

  it('unmounting while a file is open detaches the mount anyway, stops the daemon and names the open handle', async () => {
    const fs = await freshMount();
    const held = openSync(join(fs.mountPoint, 'held.txt'), 'w');
    try {
      await expect(fs.unmount()).rejects.toThrow(
        /could not unmount .*; 1 file handle\(s\) were open; detached it lazily/,
      );
      expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(` ${fs.mountPoint} `);
    } finally {
      try {
        closeSync(held);
      } catch {
        // ENOTCONN: the file system under it is gone, which is the point.
      }
    }
  });

  it('refuses a backing folder that is not empty, naming it', async () => {
    const backing = mkdtempSync(join(tmpdir(), 'lossyfs-full-'));
    scratch.push(backing);
    writeFileSync(join(backing, 'existing'), 'x');

    await expect(LossyFs.mount(backing, backing)).rejects.toThrow(`the backing folder ${backing} is not empty`);
  });

  it('refuses a bad tear value before asking the file system', async () => {
    const fs = await freshMount();
    expect(() => fs.drop({ tear: -1 })).toThrow('tear must be a whole number of bytes ≥ 0, got -1');
  });
});
