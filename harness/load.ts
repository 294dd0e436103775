import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { glob } from 'tinyglobby';
import type { z } from 'zod';
import { scenarioSchema, type ResolvedScenario } from './schema.js';
import { ROOT } from './workers/build.js';

export type Category = 'chaos' | 'bench' | 'stress';
export const CATEGORIES: readonly Category[] = ['chaos', 'bench', 'stress'];

export interface LoadedScenario {
  category: 'chaos';
  file: string;
  scenario: ResolvedScenario;
}

/** A declaration that cannot run, with every problem found: file, id, key path and what would be valid. */
export class DeclarationError extends Error {
  override name = 'DeclarationError';
  constructor(readonly problems: string[]) {
    super(`invalid declarations:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** "workers[0].params.count" from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}

export function formatIssues(file: string, id: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => `${file}: scenario "${id}": ${formatPath(issue.path) || '(root)'}: ${issue.message}`);
}

/**
 * Finds every declaration under scenarios/<category>/ by glob, validates each and rejects duplicate ids. Adding a
 * scenario is adding a file. Throws DeclarationError listing every problem before anything runs.
 */
export async function loadScenarios(root = ROOT): Promise<LoadedScenario[]> {
  const files = (await glob(['scenarios/chaos/*.ts'], { cwd: root, ignore: ['**/*.test.ts'] })).sort();
  const problems: string[] = [];
  const loaded: LoadedScenario[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let declared: unknown;
    try {
      declared = ((await import(pathToFileURL(`${root}/${file}`).href)) as { default?: unknown }).default;
    } catch (error) {
      problems.push(`${file}: cannot be imported: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (declared === undefined) {
      problems.push(`${file}: has no default export; export default defineScenario({ … })`);
      continue;
    }
    const id = typeof declared === 'object' && declared !== null && 'id' in declared ? String(declared.id) : '(no id)';
    const parsed = scenarioSchema.safeParse(declared);
    if (!parsed.success) {
      problems.push(...formatIssues(file, id, parsed.error));
      continue;
    }
    problems.push(...crossCheck(file, parsed.data));
    const previous = seen.get(parsed.data.id);
    if (previous) problems.push(`${file}: scenario id "${parsed.data.id}" is already declared in ${previous}; ids must be unique`);
    seen.set(parsed.data.id, file);
    loaded.push({ category: 'chaos', file: relative(root, `${root}/${file}`), scenario: parsed.data });
  }
  if (problems.length > 0) throw new DeclarationError(problems);
  return loaded;
}

/** Checks a schema cannot express: names that must refer to declared worker groups. */
function crossCheck(file: string, s: ResolvedScenario): string[] {
  const groups = new Set(s.workers.map((w) => w.name));
  const problems: string[] = [];
  const where = (path: string, name: string): void => {
    if (!groups.has(name)) {
      problems.push(`${file}: scenario "${s.id}": ${path}: "${name}" is not a worker group; declared groups: ${[...groups].join(', ')}`);
    }
  };
  if (groups.size !== s.workers.length) problems.push(`${file}: scenario "${s.id}": workers: group names must be unique`);
  s.faults.forEach((f, i) => {
    if (f.kind !== 'lock-contention') where(`faults[${i}].target`, f.target);
  });
  s.commands.forEach((c, i) => where(`commands[${i}].to`, c.to));
  return problems;
}
