import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build, version as esbuildVersion, type Plugin } from 'esbuild';

/**
 * The LangChain packages workers import, bundled for them into a few files: as published they are ~700 ES modules
 * (@langchain/core, langsmith, zod) that take a worker 0.4 s to load for the checkpoint savers and 0.6 s for
 * @langchain/langgraph; bundled, 0.13 s and 0.18 s. Same code, one shared copy of @langchain/core (split chunks).
 */
const VENDORED = [
  '@langchain/langgraph',
  '@langchain/langgraph-checkpoint',
  '@langchain/langgraph-checkpoint-sqlite',
  '@langchain/langgraph-checkpoint-postgres',
] as const;
/** Native or server drivers stay the installed packages. */
const EXTERNAL = ['better-sqlite3', 'pg'];
/** The folder of the bundles inside a worker build. */
const VENDOR_FOLDER = 'vendor';

const fileOf = (specifier: string): string => `${specifier.replace('@langchain/', 'langchain-')}.js`;

/** Where a worker build holds the bundle of a vendored package (see vendorInto; absent when it was not bundled). */
export const vendoredBundle = (buildDir: string, specifier: (typeof VENDORED)[number]): string =>
  join(buildDir, VENDOR_FOLDER, fileOf(specifier));

/**
 * Bundles the vendored packages into `<packageRoot>/.build/vendor-<hash>` (the hash of the lockfile and esbuild's
 * version: built once per install, renamed into place when complete) and copies them into `buildDir`'s vendor/.
 * Returns the esbuild plugin that points the build's imports of those packages there; none when they are not
 * installed (they are optional peers), and the imports stay as they are.
 */
export async function vendorInto(packageRoot: string, buildDir: string): Promise<Plugin[]> {
  const lockfile = join(packageRoot, 'pnpm-lock.yaml');
  const hash = createHash('sha256')
    .update(existsSync(lockfile) ? readFileSync(lockfile) : '')
    .update(`${esbuildVersion}\n${VENDORED.join('\n')}`)
    .digest('hex')
    .slice(0, 12);
  const bundles = join(packageRoot, '.build', `vendor-${hash}`);
  if (!existsSync(bundles)) {
    const staging = `${bundles}.${process.pid}.tmp`;
    try {
      await build({
        entryPoints: Object.fromEntries(VENDORED.map((s) => [fileOf(s).replace(/\.js$/, ''), s])),
        absWorkingDir: packageRoot,
        outdir: staging,
        bundle: true,
        splitting: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        external: EXTERNAL,
        logLevel: 'silent',
      });
      renameSync(staging, bundles);
    } catch {
      // Not installed (or not bundleable): the imports stay as they are. Another run may have renamed it first.
      if (!existsSync(bundles)) return [];
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  cpSync(bundles, join(buildDir, VENDOR_FOLDER), { recursive: true });
  return [vendoredImports(packageRoot)];
}

/**
 * For a file-by-file build (`bundle: true` only so that imports pass through here): every import stays external,
 * those of a vendored package pointed at its bundle by a path relative to the importing file.
 */
export function vendoredImports(packageRoot: string): Plugin {
  const vendored = new Set<string>(VENDORED);
  return {
    name: 'vendored-imports',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (!vendored.has(args.path)) return { path: args.path, external: true };
        const bundle = relative(dirname(args.importer), join(packageRoot, VENDOR_FOLDER, fileOf(args.path)));
        return { path: bundle.startsWith('.') ? bundle : `./${bundle}`, external: true };
      });
    },
  };
}
