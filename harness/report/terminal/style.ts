import { styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

/** Something text can be written to: a stream, or a test's buffer. */
export interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  hasColors?: () => boolean;
  columns?: number;
}

/**
 * Colour when the terminal takes it: never with NO_COLOR set (no-color.org), always with FORCE_COLOR other than 0,
 * else when writing to a terminal that reports colours (not to a pipe or a CI log file).
 */
export function colorEnabled(out: Output, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return out.isTTY === true && (out.hasColors?.() ?? false);
}

/** Paints text when colour is on; plain text otherwise. */
export type Paint = (format: Format, text: string) => string;

export function painter(enabled: boolean): Paint {
  // Node ≥ 22.13 would check process.stdout again and drop colours the caller decided on: validateStream off.
  const style = styleText as (format: Format, text: string, options?: { validateStream: boolean }) => string;
  return (format, text) => (enabled ? style(format, text, { validateStream: false }) : text);
}
