// `pnpm bench:compare`: compares two benchmark files, gates one run against earlier runs, or measures two commits.
import { compareProgram } from '../harness/compare/cli.js';

process.exit(await compareProgram(process.argv.slice(2), 'pnpm bench:compare'));
