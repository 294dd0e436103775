import type { DLogger } from '@dbos-inc/dbos-sdk';

/** DBOS entries arrive as strings (its DLogger contract); anything else is shown as JSON. */
function text(entry: unknown): string {
  return typeof entry === 'string' ? entry : JSON.stringify(entry);
}

/**
 * DBOS's warnings and errors on stderr; its info lines dropped. A worker's stdout carries its events to the harness,
 * and DBOS's default logger writes info lines there.
 */
export const stderrLogger: DLogger = {
  info: () => undefined,
  debug: () => undefined,
  warn: (entry) => void process.stderr.write(`dbos: ${text(entry)}\n`),
  error: (entry, metadata) =>
    void process.stderr.write(`dbos: ${text(entry)}${metadata?.stack !== undefined ? `\n${metadata.stack}` : ''}\n`),
};
