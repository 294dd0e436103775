import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test/helpers/temp-db.js';
import { MAX_BATCH_BYTES, RequestLog, parseLine, type RequestLine } from './request-log.js';
import { outcomeIn, timeKey } from './write-outcomes.js';

const line = (k: string, extra: Partial<RequestLine> = {}): RequestLine => ({ k, p: 42, b: '/tmp/x "y".fifo', d: 1, o: 'op', ...extra });

describe('RequestLog', () => {
  const tempDir = useTempDir();

  it('appends whole lines and reads them back in order; the head comes from a short prefix', () => {
    const log = new RequestLog(join(tempDir(), 'a.db'));
    log.append(line('k1', { a: { big: 'x'.repeat(2000) } }));
    log.append(line('k2'));
    const { size } = log.stat();
    const chunk = log.read(0, size, size);
    const first = chunk.indexOf(10);
    expect(parseLine(chunk, 0, first)?.k).toBe('k1');
    expect(parseLine(chunk, first + 1, chunk.indexOf(10, first + 1))?.k).toBe('k2');
    expect(log.headAt(0)).toEqual({ k: 'k1', p: 42, b: '/tmp/x "y".fifo' });
    expect(log.headAt(first + 1)?.k).toBe('k2');
    expect(log.headAt(size)).toBeUndefined();
    log.close();
  });

  it('reads past the batch limit to finish a single longer line', () => {
    const log = new RequestLog(join(tempDir(), 'a.db'));
    log.append(line('huge', { a: 'y'.repeat(MAX_BATCH_BYTES + 10) }));
    const { size } = log.stat();
    const chunk = log.read(0, MAX_BATCH_BYTES, size);
    expect(chunk.length).toBe(size);
    expect(parseLine(chunk, 0, chunk.length - 1)?.k).toBe('huge');
    log.close();
  });

  it('rejects lines that are not well-formed requests', () => {
    for (const text of ['{"k": garbage', '{"k":"a","p":"1","b":"f","d":1,"o":null}', '{"k":"a","p":1,"b":"f","d":1,"o":3}', '[]']) {
      expect(parseLine(Buffer.from(text), 0, text.length)).toBeUndefined();
    }
  });

  it('follows the file at its path when the log is replaced', () => {
    const dir = tempDir();
    const log = new RequestLog(join(dir, 'a.db'));
    log.append(line('old'));
    writeFileSync(`${log.path}.new`, '');
    // Replace the file under the open log (as a hand-made rename would).
    renameSync(`${log.path}.new`, log.path);
    log.reopenIfReplaced();
    log.append(line('new'));
    const { size } = log.stat();
    expect(parseLine(log.read(0, size, size), 0, size - 1)?.k).toBe('new');
    log.close();
  });
});

describe('outcomes', () => {
  it('keys sort by time', () => {
    expect(timeKey(1) < timeKey(2) && timeKey(999) < timeKey(1000)).toBe(true);
    expect(timeKey(-5)).toBe('0'.repeat(16));
  });

  it('finds the outcome sent for a key among doorbell messages, and nothing for other keys', () => {
    expect(outcomeIn(['other\t1\t{"id":1}', 'mine\t1\t{"id":2}'], 'mine')).toEqual({ ok: true, value: { id: 2 } });
    expect(outcomeIn(['mine\t0\t{"name":"RangeError","message":"no"}'], 'mine')).toMatchObject({ ok: false, error: { name: 'RangeError', message: 'no' } });
    expect(outcomeIn(['', 'mine\t-1\tnull', 'x'], 'mine')).toBeUndefined();
  });
});
