import { existsSync, readFileSync } from 'node:fs';

/** The non-empty lines of a side-effect file (none when it does not exist yet). */
export function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
