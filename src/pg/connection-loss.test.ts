import { describe, expect, it } from 'vitest';
import { connectionLoss } from './connection-loss.js';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('connectionLoss', () => {
  it('says nothing was written when the connection was never made', () => {
    expect(connectionLoss(withCode('ECONNREFUSED'))).toEqual({ inDoubt: false });
    expect(connectionLoss(withCode('57P03', 'the database system is starting up'))).toEqual({ inDoubt: false });
    expect(connectionLoss(new Error('timeout exceeded when trying to connect'))).toEqual({ inDoubt: false });
    expect(connectionLoss(withCode('53300', 'sorry, too many clients already'))).toEqual({ inDoubt: false });
  });

  it('says a statement may have been committed when the connection died under it', () => {
    expect(connectionLoss(withCode('ECONNRESET'))).toEqual({ inDoubt: true });
    expect(connectionLoss(withCode('57P01', 'terminating connection due to administrator command'))).toEqual({
      inDoubt: true,
    });
    expect(connectionLoss(withCode('08006'))).toEqual({ inDoubt: true });
    expect(connectionLoss(withCode('EHOSTUNREACH'))).toEqual({ inDoubt: true });
    expect(connectionLoss(new Error('Connection terminated unexpectedly'))).toEqual({ inDoubt: true });
  });

  it('leaves every other error alone', () => {
    expect(connectionLoss(withCode('23505', 'duplicate key value'))).toBeUndefined();
    expect(connectionLoss(new TypeError('not a connection problem'))).toBeUndefined();
    expect(connectionLoss(null)).toBeUndefined();
  });
});
