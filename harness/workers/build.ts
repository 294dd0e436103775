import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';
import { glob } from 'tinyglobby';
import type { Mutant } from '../../src/mutants.js';
import { vendorInto, vendoredImports } from './vendor.js';

/** The package's root (two levels above this file): the repository, or the compiled package's `dist/`. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Compiled (an installed package): the JavaScript workers run is already here, and there is no source to build. */
export const COMPILED = import.meta.url.endsWith('.js');
/** Where the JavaScript of src/ and harness/ is; workers run from here with plain `node`. */
export const BUILD_DIR = COMPILED ? PACKAGE_ROOT : join(PACKAGE_ROOT, '.build', 'js');

/** Path of a built worker entry point, e.g. builtPath('harness/workers/entry.ts'), in the normal build or another. */
export function builtPath(sourcePath: string, buildDir = BUILD_DIR): string {
  return join(buildDir, sourcePath.replace(/\.ts$/, '.js'));
}

/** Where a deliberately broken build of the layer (see src/mutants.ts) is placed. */
export function mutantBuildDir(mutant: string): string {
  return join(PACKAGE_ROOT, '.build', `mutant-${mutant}`);
}

/**
 * Transpiles src/ and harness/ file by file (no bundling, so src/migrations/ sits beside the code as at source)
 * into .build/js, with the LangChain packages they import bundled beside them (vendor.ts). Starting a worker then
 * costs a plain `node` start instead of a TypeScript loader's.
 * The output is written to a fresh folder and renamed into place, so concurrent runs never see half a build; a build
 * of the same sources is reused (sourceStamp).
 */
export async function buildWorkers(options: { mutant?: Mutant } = {}): Promise<string> {
  if (COMPILED && !options.mutant) return BUILD_DIR;
  if (COMPILED)
    throw new Error('a mutant build needs the TypeScript sources: run --mutant from a clone of agentos-chaos');
  const target = options.mutant ? mutantBuildDir(options.mutant) : BUILD_DIR;
  const entryPoints = await glob(['src/**/*.ts', 'harness/**/*.ts'], {
    cwd: PACKAGE_ROOT,
    ignore: ['**/*.test.ts', '**/*.spec.ts'],
  });
  const stamp = await sourceStamp(entryPoints, options.mutant);
  const stampFile = (dir: string): string => join(dir, '.source-stamp');
  if (existsSync(stampFile(target)) && readFileSync(stampFile(target), 'utf8') === stamp) return target;
  const staging = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const plugins = await vendorInto(PACKAGE_ROOT, staging);
  await build({
    entryPoints: entryPoints.map((p) => join(PACKAGE_ROOT, p)),
    outbase: PACKAGE_ROOT,
    outdir: staging,
    // Each file on its own (its imports external, see vendor.ts); bundling only routes the imports through the plugin.
    ...(plugins.length > 0 ? { bundle: true, plugins } : {}),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Linked source maps: coverage of worker processes (c8) maps back to the TypeScript sources.
    sourcemap: 'linked',
    // Only a mutant build names a mutant; in every other build the identifier stays undefined.
    ...(options.mutant ? { define: { AGENTOS_MUTANT: JSON.stringify(options.mutant) } } : {}),
    logLevel: 'error',
  });
  cpSync(join(PACKAGE_ROOT, 'src/migrations'), join(staging, 'src/migrations'), { recursive: true });
  writeFileSync(join(staging, 'package.json'), '{"type":"module"}\n');
  writeFileSync(stampFile(staging), stamp);
  mkdirSync(dirname(target), { recursive: true });
  const old = `${target}.old.${process.pid}`;
  if (existsSync(target)) renameSync(target, old);
  renameSync(staging, target);
  rmSync(old, { recursive: true, force: true });
  return target;
}

/**
 * Transpiles more files (a test's programs) into the build of buildWorkers beside src/ and harness/, so that they run
 * with plain `node` on the same built modules and bundles; returns their built paths.
 */
export async function buildBeside(sourcePaths: readonly string[]): Promise<string[]> {
  const buildDir = await buildWorkers();
  await build({
    entryPoints: sourcePaths.map((p) => join(PACKAGE_ROOT, p)),
    outbase: PACKAGE_ROOT,
    outdir: buildDir,
    bundle: true,
    plugins: [vendoredImports(PACKAGE_ROOT)],
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
  });
  return sourcePaths.map((p) => builtPath(p, buildDir));
}

/**
 * The hash of what a build is made from (the sources, the migrations, the lockfile, esbuild's version, the mutant):
 * a build with the same stamp is used as it is, which saves the second or so of a rebuild at every run.
 */
async function sourceStamp(entryPoints: string[], mutant: Mutant | undefined): Promise<string> {
  const migrations = await glob(['src/migrations/**'], { cwd: PACKAGE_ROOT });
  const hash = createHash('sha256').update(`${esbuildVersion}\n${mutant ?? ''}\n`);
  for (const file of [...entryPoints, ...migrations, 'pnpm-lock.yaml'].sort()) {
    const path = join(PACKAGE_ROOT, file);
    hash.update(`${file}\n`).update(existsSync(path) ? readFileSync(path) : '');
  }
  return hash.digest('hex');
}
