import { basename, join, relative } from 'node:path';
import { glob } from 'tinyglobby';
import type { z } from 'zod';
import { suggestionFor } from './declaration-hints.js';
import { benchmarkSchema, scenarioSchema, type ResolvedBenchmark, type ResolvedScenario } from './schema.js';
import { didYouMean } from './suggest.js';
import { PACKAGE_ROOT } from './workers/build.js';
import { importDefault } from './import-default.js';

export type Category = 'chaos' | 'bench' | 'stress';
export const CATEGORIES: readonly Category[] = ['chaos', 'bench', 'stress'];

/** A validated declaration, keyed on its category. */
export type LoadedScenario =
  | { category: 'chaos' | 'stress'; file: string; id: string; scenario: ResolvedScenario }
  | { category: 'bench'; file: string; id: string; benchmark: ResolvedBenchmark };

/** A declaration that cannot run, with every problem found: file, id, key path and what would be valid. */
export class DeclarationError extends Error {
  override name = 'DeclarationError';
  constructor(readonly problems: string[]) {
    super(`invalid declarations:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** "workers[0].params.count" from a zod issue path. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

/** One line per issue; given the schema and the input, each ends with the closest valid name when one is near. */
export function formatIssues(
  file: string,
  id: string,
  error: z.ZodError,
  source?: { schema: z.ZodType; input: unknown },
): string[] {
  return error.issues.map(
    (issue) =>
      `${file}: "${id}": ${formatPath(issue.path) || '(root)'}: ${issue.message}${source ? suggestionFor(source.schema, source.input, issue) : ''}`,
  );
}

/** The scenarios shipped with the package (`--builtin` in another project). */
export const BUILTIN_SCENARIOS = join(PACKAGE_ROOT, 'scenarios');

/**
 * Finds every declaration under each scenarios folder's chaos/, bench/ and stress/ by glob (`.ts`, `.js`, `.mjs`),
 * validates each and rejects duplicate ids across all of them. Adding a test is adding a file. Files are named
 * relative to the folder's parent ("scenarios/chaos/x.ts"). Throws DeclarationError listing every problem before
 * anything runs.
 */
export async function loadScenarios(dirs: string | readonly string[] = BUILTIN_SCENARIOS): Promise<LoadedScenario[]> {
  const problems: string[] = [];
  const loaded: LoadedScenario[] = [];
  const seen = new Map<string, string>();
  for (const category of CATEGORIES) {
    const files = (
      await Promise.all(
        (typeof dirs === 'string' ? [dirs] : dirs).map(async (dir) =>
          (
            await glob([`${category}/*.{ts,js,mjs}`], {
              cwd: dir,
              absolute: true,
              ignore: ['**/*.test.*', '**/*.d.ts'],
            })
          )
            .sort()
            .map((path) => ({ path, file: join(basename(dir), relative(dir, path)) })),
        ),
      )
    ).flat();
    for (const { path, file } of files) {
      let declared: unknown;
      try {
        declared = await importDefault(path);
      } catch (error) {
        problems.push(`${file}: cannot be imported: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (declared === undefined) {
        problems.push(
          `${file}: has no default export; export default ${category === 'bench' ? 'defineBenchmark' : category === 'stress' ? 'defineStress' : 'defineScenario'}({ … })`,
        );
        continue;
      }
      const { entry, problems: found } = resolveDeclaration(category, file, declared);
      problems.push(...found);
      if (!entry) continue;
      const previous = seen.get(entry.id);
      if (previous) problems.push(`${file}: id "${entry.id}" is already declared in ${previous}; ids must be unique`);
      seen.set(entry.id, file);
      loaded.push(entry);
    }
  }
  if (problems.length > 0) throw new DeclarationError(problems);
  return loaded;
}

/** Validates one declaration against its category's schema, then the cross-references a schema cannot express. */
function resolveDeclaration(
  category: Category,
  file: string,
  declared: unknown,
): { entry?: LoadedScenario; problems: string[] } {
  const id = typeof declared === 'object' && declared !== null && 'id' in declared ? String(declared.id) : '(no id)';
  if (category === 'bench') {
    const parsed = benchmarkSchema.safeParse(declared);
    if (!parsed.success)
      return { problems: formatIssues(file, id, parsed.error, { schema: benchmarkSchema, input: declared }) };
    return {
      entry: { category, file, id: parsed.data.id, benchmark: parsed.data },
      problems: crossCheckBenchmark(file, parsed.data),
    };
  }
  const parsed = scenarioSchema.safeParse(declared);
  if (!parsed.success)
    return { problems: formatIssues(file, id, parsed.error, { schema: scenarioSchema, input: declared }) };
  return {
    entry: { category, file, id: parsed.data.id, scenario: parsed.data },
    problems: crossCheckScenario(file, parsed.data),
  };
}

/** Checks a schema cannot express: names that must refer to declared worker groups. */
function crossCheckScenario(file: string, s: ResolvedScenario): string[] {
  const groups = new Set(s.workers.map((w) => w.name));
  const problems: string[] = [];
  const where = (path: string, name: string): void => {
    if (!groups.has(name)) {
      problems.push(
        `${file}: "${s.id}": ${path}: "${name}" is not a worker group; declared groups: ${[...groups].join(', ')}${didYouMean(name, groups)}`,
      );
    }
  };
  if (groups.size !== s.workers.length) problems.push(`${file}: "${s.id}": workers: group names must be unique`);
  if (!s.workers.some((w) => w.start === 'start'))
    problems.push(`${file}: "${s.id}": workers: at least one group must have start: 'start'`);
  s.faults.forEach((f, i) => {
    // These act on the database, its server or the machine, not on a worker group.
    if (!['lock-contention', 'backup', 'disk-full', 'pg-crash'].includes(f.kind))
      where(`faults[${i}].target`, f.target);
  });
  s.commands.forEach((c, i) => where(`commands[${i}].to`, c.to));
  return problems;
}

function crossCheckBenchmark(file: string, b: ResolvedBenchmark): string[] {
  const names = new Set(b.variants.map((v) => v.name));
  const problems: string[] = [];
  if (names.size !== b.variants.length) problems.push(`${file}: "${b.id}": variants: names must be unique`);
  b.criteria.forEach((c, i) => {
    const refs = [c.metric.variant, ...('ratioTo' in c.metric ? [c.metric.ratioTo] : [])];
    for (const ref of refs) {
      if (!names.has(ref))
        problems.push(
          `${file}: "${b.id}": criteria[${i}].metric: "${ref}" is not a variant; declared variants: ${[...names].join(', ')}${didYouMean(ref, names)}`,
        );
    }
  });
  return problems;
}
