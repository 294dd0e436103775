import { distance } from 'fastest-levenshtein';

/**
 * The candidate closest to `given` by edit distance, when close enough to be a likely typo: one edit for up to three
 * characters, else two or a third of its length (a swapped pair is two edits), or `given` begins it ("timeout" for
 * "timeoutMs"). Case is ignored.
 */
export function closest(given: string, candidates: Iterable<string>): string | undefined {
  const needle = given.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const name of candidates) {
    if (name === given) continue;
    const hay = name.toLowerCase();
    const d = needle.length >= 3 && hay.startsWith(needle) ? 1 : distance(needle, hay);
    const limit = needle.length <= 3 ? 1 : Math.max(2, Math.floor(needle.length / 3));
    if (d <= limit && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/** "; did you mean "x"?" when a candidate is close to `given`, else "". */
export function didYouMean(given: string, candidates: Iterable<string>, quote = (s: string) => `"${s}"`): string {
  const match = closest(given, candidates);
  return match === undefined ? '' : `; did you mean ${quote(match)}?`;
}

/**
 * node:util parseArgs's error for an unknown flag, without its advice on positionals and with the closest known flag;
 * other errors as they are.
 * `names` are the long option names without dashes.
 */
export function optionError(error: unknown, names: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option '(--?[^']+)'/.exec(message)?.[1];
  if ((error as { code?: string } | null)?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || unknown === undefined)
    return message;
  return `Unknown option '${unknown}'${didYouMean(unknown.replace(/^-+/, ''), names, (s) => `--${s}`)}`;
}
