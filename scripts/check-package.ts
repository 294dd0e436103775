// `pnpm check:package [tarball]`: packs the package once (prepack builds dist/), or takes a tarball already packed, and
// lints what a user would install: publint (package.json fields against the files shipped) and Are the Types Wrong
// (how TypeScript resolves each entry).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const given = process.argv[2];
if (given !== undefined && !existsSync(given)) {
  console.error(`check:package: no tarball at ${given} (give the path of a .tgz written by pnpm pack, or nothing)`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'agentos-chaos-pack-'));
try {
  if (given === undefined)
    await execa('pnpm', ['pack', '--pack-destination', dir], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball =
    given === undefined
      ? join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')) ?? 'no .tgz was written')
      : resolve(given);
  // Both run, each printing its findings; either failing fails the check.
  const run = { cwd: ROOT, preferLocal: true, stdio: 'inherit', reject: false } as const;
  // --strict: a warning fails too.
  const publint = await execa('publint', ['run', tarball, '--strict'], run);
  // The package is ES modules only (Node >= 20, bundlers): the esm-only profile leaves out node10 resolution, which
  // predates "exports", and require() from CommonJS, for which no CommonJS build is shipped.
  const attw = await execa('attw', [tarball, '--profile', 'esm-only'], run);
  const failed = [publint, attw].filter((r) => r.exitCode !== 0).map((r) => r.command.split(' ')[0]);
  if (failed.length > 0) {
    console.error(`check:package: ${failed.join(' and ')} failed (see above)`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
