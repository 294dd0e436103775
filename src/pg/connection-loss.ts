/**
 * A connection that was never made, so nothing was sent: refused, a name that does not resolve, a server starting up
 * (57P03) or out of connection slots (53300).
 */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', '57P03', '53300']);
/**
 * A connection lost, maybe mid-statement (57P01–02: shutdown; 08xxx: connection). EHOSTUNREACH and ENETUNREACH are
 * here too: an established socket reports them when its retransmissions fail.
 */
const LOST = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02']);

/**
 * Whether `error` (from pg) means the connection to the server failed or died, and if so whether a statement may
 * have been committed anyway (inDoubt). Undefined for every other error (a constraint, a syntax error, …).
 */
export function connectionLoss(error: unknown): { inDoubt: boolean } | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (NEVER_CONNECTED.has(code)) return { inDoubt: false };
    if (LOST.has(code) || code.startsWith('08')) return { inDoubt: true };
  }
  const message = error instanceof Error ? error.message : '';
  // pg's own wording when the socket closes under a query, or a pooled client was already broken.
  if (/Connection terminated|connection error|Client was closed|timeout exceeded when trying to connect/i.test(message))
    return { inDoubt: !/when trying to connect/i.test(message) };
  return undefined;
}
