import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** One line of the request log. Key, pid and doorbell come first so a head can be read from a short prefix. */
export interface RequestLine {
  /** The request's key: time-sortable and unique (see timeKey). */
  k: string;
  /** The owner's pid. */
  p: number;
  /** The owner's doorbell (a named pipe). */
  b: string;
  /** Deadline (system-wide monotonic ms): after it no other process starts this request. */
  d: number;
  /** A named write op, or null for a turn only the owner can take (a transaction closure). */
  o: string | null;
  /** The op's JSON parameters. */
  a?: unknown;
}

/** A batch reads at most this much of the log (more only to finish a single longer line). */
export const MAX_BATCH_BYTES = 4 << 20;
const HEAD_PREFIX_BYTES = 512;
const HEAD_PREFIX = /^\{"k":("[^"]*"),"p":(\d+),"b":("(?:[^"\\]|\\.)*")/;

/**
 * The append-only log of write requests beside a database (`<db>-admission/requests.log`), one JSON line each.
 * Appending is one O_APPEND write() and takes no lock: a line lands whole at the end. Only the holder of the
 * database's write lock reads it and moves past what it served (the position is kept in the database).
 */
export class RequestLog {
  readonly path: string;
  #fd: number;

  constructor(dbPath: string) {
    const dir = `${dbPath}-admission`;
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'requests.log');
    this.#fd = openSync(this.path, 'a+');
  }

  append(line: RequestLine): void {
    const text = `${JSON.stringify(line)}\n`;
    // A short write (rare: a signal, a full disk) is finished off; the line then fails to parse and is skipped.
    const written = writeSync(this.#fd, text);
    if (written < Buffer.byteLength(text)) {
      const bytes = Buffer.from(text);
      for (let done = written; done < bytes.length; ) done += writeSync(this.#fd, bytes, done);
    }
  }

  /** The identity and size of the file this log writes to. */
  stat(): { inode: number; size: number } {
    const { ino, size } = fstatSync(this.#fd);
    return { inode: ino, size };
  }

  /** Up to `length` bytes from `offset`, extended to the end of a first line longer than the batch limit. */
  read(offset: number, length: number, size: number): Buffer {
    const buffer = Buffer.allocUnsafe(Math.max(0, length));
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(this.#fd, buffer, filled, buffer.length - filled, offset + filled);
      if (n === 0) break;
      filled += n;
    }
    const chunk = buffer.subarray(0, filled);
    if (filled === MAX_BATCH_BYTES && chunk.indexOf(10) < 0 && offset + filled < size) {
      return Buffer.concat([chunk, this.read(offset + filled, Math.min(size - offset - filled, MAX_BATCH_BYTES), size)]);
    }
    return chunk;
  }

  /** The key, pid and doorbell of the line starting at `offset`, from a short prefix of it. */
  headAt(offset: number): Pick<RequestLine, 'k' | 'p' | 'b'> | undefined {
    const match = HEAD_PREFIX.exec(this.read(offset, HEAD_PREFIX_BYTES, Infinity).toString('utf8'));
    if (!match) return undefined;
    return { k: JSON.parse(match[1]!) as string, p: Number(match[2]), b: JSON.parse(match[3]!) as string };
  }

  /** Empties the log (called with everything in it served; a line appended meanwhile is recovered by its owner). */
  truncate(): void {
    ftruncateSync(this.#fd, 0);
  }

  /** The file was removed or replaced (e.g. by hand): write to the file at the path, not the orphan. */
  reopenIfReplaced(): void {
    let current: number | undefined;
    try {
      current = statSync(this.path).ino;
    } catch {
      current = undefined;
    }
    if (current !== undefined && current === fstatSync(this.#fd).ino) return;
    const fd = openSync(this.path, 'a+');
    closeSync(this.#fd);
    this.#fd = fd;
  }

  close(): void {
    try {
      closeSync(this.#fd);
    } catch {
      // Closed already.
    }
  }
}

/** The request on bytes [start, end) of a chunk, or undefined if the line is not a well-formed request. */
export function parseLine(chunk: Buffer, start: number, end: number): RequestLine | undefined {
  try {
    const line = JSON.parse(chunk.toString('utf8', start, end)) as Partial<RequestLine>;
    const valid = typeof line.k === 'string' && typeof line.p === 'number' && typeof line.b === 'string'
      && typeof line.d === 'number' && (line.o === null || typeof line.o === 'string');
    return valid ? (line as RequestLine) : undefined;
  } catch {
    return undefined;
  }
}
