import { describe, expect, it } from 'vitest';
import { useTempDb } from '../../test/helpers/temp-db.js';
import { History } from '../history.js';
import { readSqliteState } from '../agentos/sqlite-store.js';
import { runCheck } from './index.js';

describe('the lease log check with takeovers of dead holders', () => {
  const tempDb = useTempDb();

  /** A check context over a lease log of (item, epoch, holder, op) rows, in commit order. */
  function withLog(rows: [string, number, string, string][]) {
    const { db, dir } = tempDb();
    const insert = db.sqlite.prepare('INSERT INTO lease_log (item_id, epoch, holder, op, at) VALUES (?, ?, ?, ?, 0)');
    for (const row of rows) insert.run(...row);
    return { history: new History(), runDir: dir, final: readSqliteState(db) };
  }

  it('accepts a takeover as a grant: the new holder writes at its epoch', () => {
    const outcome = runCheck(
      { check: 'no-stale-epoch-writes' },
      withLog([
        ['task:t', 1, 'first', 'acquire'],
        ['task:t', 1, 'first', 'checkpoint'],
        ['task:t', 2, 'resumer', 'takeover'],
        ['task:t', 2, 'resumer', 'checkpoint'],
        ['task:t', 2, 'resumer', 'complete'],
      ]),
    );
    expect(outcome).toMatchObject({ valid: true, measured: '3 fenced writes over 1 item(s), 0 under a stale epoch' });
  });

  it('refuses a write of the taken-over holder after the takeover, and a takeover that does not raise the epoch', () => {
    const stale = runCheck(
      { check: 'no-stale-epoch-writes' },
      withLog([
        ['task:t', 1, 'first', 'acquire'],
        ['task:t', 2, 'resumer', 'takeover'],
        ['task:t', 1, 'first', 'checkpoint'],
      ]),
    );
    expect(stale.valid).toBe(false);
    expect(stale.details).toMatch(
      /#3: checkpoint on task:t accepted from "first" at epoch 1 while the newest was epoch 2/,
    );

    const regranted = runCheck(
      { check: 'no-stale-epoch-writes' },
      withLog([
        ['task:t', 1, 'first', 'acquire'],
        ['task:t', 1, 'resumer', 'takeover'],
        ['task:t', 1, 'resumer', 'checkpoint'],
      ]),
    );
    expect(regranted.valid).toBe(false);
    expect(regranted.details).toMatch(/#2: task:t granted epoch 1 after epoch 1/);
  });
});
