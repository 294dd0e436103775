import { buildWorkers } from './build.js';

/** vitest globalSetup: transpile worker entry points once per run. */
export default async function setup(): Promise<void> {
  await buildWorkers();
}
