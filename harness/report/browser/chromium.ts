import { execFileSync } from 'node:child_process';

/** Browsers a Debian or Ubuntu machine installs under these names (Debian's package is `chromium`). */
const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/**
 * The Chromium to drive: CHROMIUM_PATH if set, else the first candidate on PATH; undefined when there is none (the
 * browser check then says so and is skipped, never passed).
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH) return env.CHROMIUM_PATH;
  for (const name of CANDIDATES) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      if (path) return path;
    } catch {
      // Not this one.
    }
  }
  return undefined;
}

export const CHROMIUM_MISSING =
  'Chromium not found (install Debian’s package: apt-get install chromium, or set CHROMIUM_PATH): the browser check of the reports is skipped, not passed';
