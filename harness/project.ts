import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { BUILTIN_SUBJECTS } from './load-subjects.js';
import { BUILTIN_SCENARIOS, formatIssues } from './load.js';
import { PACKAGE_ROOT } from './workers/build.js';
import { importDefault } from './import-default.js';

/** What a `chaos.config.ts` may set; every path is relative to the config file's folder. */
export interface ChaosConfig {
  /** Folders holding chaos/, bench/ and stress/ declarations (default "scenarios"). */
  scenarios?: string | string[];
  /** Folders holding subject files (default "subjects"); the package's own subjects are always known. */
  subjects?: string | string[];
  /** Where reports, histories and benchmark files are written (default "reports"). */
  reports?: string;
}

/** Returns its argument: for type inference in `chaos.config.ts`. */
export function defineConfig(config: ChaosConfig): ChaosConfig {
  return config;
}

const folders = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional();
const configSchema = z.strictObject({ scenarios: folders, subjects: folders, reports: z.string().min(1).optional() });

export const CONFIG_FILES = ['chaos.config.ts', 'chaos.config.mts', 'chaos.config.js', 'chaos.config.mjs'];

/** Where one project's declarations are and where its reports go. */
export interface Project {
  root: string;
  /** The config file, when the project has one. */
  config?: string;
  scenarioDirs: string[];
  subjectDirs: string[];
  reportsDir: string;
}

/** A config file that cannot be used: names the file and the key. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * The project the command runs in: the nearest folder at or above `cwd` with a chaos.config file, else with a
 * package.json, else `cwd`. Its scenarios (`scenarios/`), subjects (`subjects/`) and reports (`reports/`), or the
 * folders its config names. `builtin` adds the scenarios shipped with the package.
 */
export async function findProject(cwd = process.cwd(), options: { builtin?: boolean } = {}): Promise<Project> {
  const root = nearest(cwd, CONFIG_FILES) ?? nearest(cwd, ['package.json']) ?? cwd;
  const configFile = CONFIG_FILES.map((f) => join(root, f)).find((f) => existsSync(f));
  const config = configFile ? await readConfig(configFile) : {};
  const list = (value: string | string[] | undefined, fallback: string): string[] =>
    (value === undefined ? [fallback] : Array.isArray(value) ? value : [value]).map((p) => resolve(root, p));
  const scenarioDirs = list(config.scenarios, 'scenarios');
  const subjectDirs = list(config.subjects, 'subjects');
  for (const dir of [
    ...(config.scenarios === undefined ? [] : scenarioDirs),
    ...(config.subjects === undefined ? [] : subjectDirs),
  ])
    if (!existsSync(dir)) throw new ConfigError(`${configFile}: folder ${dir} does not exist`);
  return {
    root,
    ...(configFile ? { config: configFile } : {}),
    scenarioDirs: unique([
      ...scenarioDirs.filter((d) => existsSync(d)),
      ...(options.builtin ? [BUILTIN_SCENARIOS] : []),
    ]),
    subjectDirs: unique([BUILTIN_SUBJECTS, ...subjectDirs.filter((d) => existsSync(d))]),
    reportsDir: resolve(root, config.reports ?? 'reports'),
  };
}

async function readConfig(file: string): Promise<ChaosConfig> {
  let declared: unknown;
  try {
    declared = await importDefault(file);
  } catch (error) {
    throw new ConfigError(`${file}: cannot be imported: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = configSchema.safeParse(declared ?? {});
  if (!parsed.success)
    throw new ConfigError(
      formatIssues(file, 'config', parsed.error, { schema: configSchema, input: declared }).join('\n'),
    );
  return parsed.data as ChaosConfig;
}

function nearest(from: string, names: readonly string[]): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (names.some((n) => existsSync(join(dir, n)))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function unique(dirs: string[]): string[] {
  return [...new Set(dirs)];
}

let current: Project | undefined;

/** Makes `project` the one whose reports folder the harness writes to (the command sets it once, at start). */
export function useProject(project: Project): void {
  current = project;
}

/** The current project's reports folder (this package's own `reports/` until a command chose a project). */
export function reportsDir(): string {
  return current?.reportsDir ?? join(PACKAGE_ROOT, 'reports');
}
