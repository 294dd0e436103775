// `pnpm build`: compiles the layer, the harness and the chaos CLI into dist/ (ES modules with declarations; see
// tsconfig.build.json) and copies beside them the files they read at run time. `pnpm pack` runs it first (prepack).
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { glob } from 'tinyglobby';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** Read next to the compiled code: the migrations (src/migrations.ts) and lossyfs's source (harness/powerloss/build.ts). */
const RUNTIME_FILES = ['src/migrations/**/*.sql', 'harness/powerloss/lossyfs.c'];

rmSync(DIST, { recursive: true, force: true });
await execa('tsc', ['-p', 'tsconfig.build.json'], { cwd: ROOT, preferLocal: true, stdio: 'inherit' });
const files = await glob(RUNTIME_FILES, { cwd: ROOT });
for (const file of files) cpSync(join(ROOT, file), join(DIST, file));
console.log(`dist/: compiled, and ${files.length} run-time files copied`);
