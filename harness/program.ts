import { COMPILED } from './workers/build.js';

/** How a person starts this program: a script of this repository, or the package's bin in another project. */
export const PROGRAM = COMPILED ? 'agentos-chaos' : 'pnpm chaos';
