import { join, relative, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { z } from 'zod';
import { formatIssues } from './load.js';
import { CAPABILITIES, DEFAULT_SUBJECT, type SubjectDefinition } from './subject.js';
import { didYouMean } from './suggest.js';
import { BUILD_DIR, COMPILED, PACKAGE_ROOT, builtPath } from './workers/build.js';
import { importDefault } from './import-default.js';

/** The package's own subjects, always known. */
export const BUILTIN_SUBJECTS = join(PACKAGE_ROOT, 'harness', 'subjects');

let builtins: Promise<SubjectCatalog> | undefined;

/** One of the package's own subjects by name (default agentos-sqlite): for runs and tests that name no project. */
export async function builtinSubject(name: string = DEFAULT_SUBJECT): Promise<LoadedSubject> {
  return (await (builtins ??= loadSubjects([BUILTIN_SUBJECTS]))).get(name);
}

/** A subject file that validated: its definition and where it is (absolute). */
export interface LoadedSubject {
  definition: SubjectDefinition;
  file: string;
}

/** A subject declaration that cannot be used, with every problem found: file, key path and what would be valid. */
export class SubjectError extends Error {
  override name = 'SubjectError';
  constructor(readonly problems: string[]) {
    super(`invalid subjects:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const fn = (what: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `${what} must be a function`);

export const subjectSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes, starting with a letter'),
  summary: z.string().min(1, 'must say in one line what the subject is'),
  peer: z.boolean().optional(),
  capabilities: z.array(z.enum(CAPABILITIES)),
  server: z.enum(['postgres']).optional(),
  prepare: fn('prepare'),
  open: fn('open'),
  teardown: fn('teardown').optional(),
});

/** The subjects a run can name, by name, in the order their folders and files were found. */
export class SubjectCatalog {
  readonly #byName: Map<string, LoadedSubject>;

  constructor(subjects: readonly LoadedSubject[]) {
    this.#byName = new Map(subjects.map((s) => [s.definition.name, s]));
  }

  get names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Every subject's definition, in order. */
  list(): SubjectDefinition[] {
    return [...this.#byName.values()].map((s) => s.definition);
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** The subject named `name`; throws, listing the known names and the closest one, when there is none. */
  get(name: string): LoadedSubject {
    const found = this.#byName.get(name);
    if (!found)
      throw new Error(`unknown subject "${name}"; known: ${this.names.join(', ')}${didYouMean(name, this.names)}`);
    return found;
  }

  /** The default subject when it is known, else the first one. */
  get defaultName(): string {
    return this.has(DEFAULT_SUBJECT) ? DEFAULT_SUBJECT : (this.names[0] ?? DEFAULT_SUBJECT);
  }
}

/**
 * The file a worker imports for `subject`: the package's own subjects from the JavaScript build workers run (a
 * mutant build's, when given), any other file as it is.
 */
export function workerModule(subject: LoadedSubject, buildDir = BUILD_DIR): string {
  const inPackage = subject.file.startsWith(PACKAGE_ROOT + sep);
  return !COMPILED && inPackage && subject.file.endsWith('.ts')
    ? builtPath(relative(PACKAGE_ROOT, subject.file), buildDir)
    : subject.file;
}

/**
 * Finds every subject file directly in `dirs` (`*.ts`, `*.js`, `*.mjs`; tests and declarations aside), imports its
 * default export and validates it. Adding a subject is adding a file. A name declared twice is an error naming both
 * files; so is any invalid declaration, all listed before anything runs.
 */
export async function loadSubjects(dirs: readonly string[]): Promise<SubjectCatalog> {
  const problems: string[] = [];
  const loaded: LoadedSubject[] = [];
  const seen = new Map<string, string>();
  const files = new Set<string>();
  for (const dir of dirs)
    for (const file of (
      await glob(['*.ts', '*.js', '*.mjs'], { cwd: dir, absolute: true, ignore: ['*.test.*', '*.d.ts'] })
    ).sort())
      files.add(file);
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    let declared: unknown;
    try {
      declared = await importDefault(file);
    } catch (error) {
      problems.push(`${shown}: cannot be imported: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (declared === undefined) {
      problems.push(
        `${shown}: has no default export; export default defineSubject({ name, summary, capabilities, … })`,
      );
      continue;
    }
    const name =
      typeof declared === 'object' && declared !== null && 'name' in declared ? String(declared.name) : '(no name)';
    const parsed = subjectSchema.safeParse(declared);
    if (!parsed.success) {
      problems.push(...formatIssues(shown, name, parsed.error, { schema: subjectSchema, input: declared }));
      continue;
    }
    const previous = seen.get(name);
    if (previous) {
      problems.push(`${shown}: subject "${name}" is already declared in ${previous}; names must be unique`);
      continue;
    }
    seen.set(name, shown);
    loaded.push({ definition: declared as SubjectDefinition, file });
  }
  if (problems.length > 0) throw new SubjectError(problems);
  return new SubjectCatalog(loaded);
}
