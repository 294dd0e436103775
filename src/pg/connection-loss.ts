/** Socket errors of a connection that was never made: nothing was sent. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', '57P03']);
/** Socket errors and server codes of a connection lost mid-statement (57P01–02: shutdown; 08xxx: connection). */
const LOST = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02']);

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
