import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { convertPathToPattern, globSync } from 'tinyglobby';

/**
 * The earlier runs' files named by `pattern` — a folder (its *.json files) or a glob — sorted, without the head file
 * itself (a glob over the folder the head run was copied into would otherwise compare it with itself) and without
 * the exports written beside bench files (`<commit>.bmf.json`, `<commit>.github-action-benchmark.json`).
 */
export function baselineFiles(pattern: string, headPath: string): string[] {
  const isFolder = statSync(pattern, { throwIfNoEntry: false })?.isDirectory() ?? false;
  const glob = isFolder ? `${convertPathToPattern(pattern)}/*.json` : pattern;
  const head = resolve(headPath);
  return globSync(glob, { absolute: true, onlyFiles: true })
    .filter((file) => resolve(file) !== head && !/\.(bmf|github-action-benchmark)\.json$/.test(file))
    .sort();
}
