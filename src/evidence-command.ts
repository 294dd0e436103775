import type { CommandExitItem } from './evidence.js';

/** How long a command-exit command may run at verification unless the item says otherwise. */
const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/** A command-exit item checked field by field: what to run, and when it passes. */
export interface RunnableCommand {
  /** argv without a shell, or one command line for /bin/sh. */
  run: { argv: [string, ...string[]] } | { command: string };
  /** The command as a reason shows it. */
  what: string;
  expected: number;
  timeoutMs: number;
}

/**
 * The command of a command-exit item, or why it cannot be run. Stored items are parsed JSON: every field is checked,
 * and nothing runs whose shape is not exactly one of the two, or that the OS could not be given (a NUL byte).
 */
export function runnableCommand(item: CommandExitItem): RunnableCommand | { problem: string } {
  const raw = item as {
    argv?: unknown;
    command?: unknown;
    shell?: unknown;
    exitCode?: unknown;
    expectedExitCode?: unknown;
    timeoutMs?: unknown;
  };
  let run: RunnableCommand['run'];
  let what: string;
  if (raw.argv !== undefined) {
    if (!Array.isArray(raw.argv) || raw.argv.length === 0 || !raw.argv.every((a) => typeof a === 'string')) {
      return { problem: 'argv must be a non-empty array of strings' };
    }
    if (raw.command !== undefined) return { problem: 'has both argv and command: give one' };
    const argv = raw.argv as [string, ...string[]];
    if (argv[0] === '') return { problem: 'argv[0] (the program) must not be empty' };
    const nul = argv.findIndex(hasNul);
    if (nul >= 0)
      return { problem: `argv[${nul}] contains a NUL byte, which no program can be given: ${quote(argv[nul]!)}` };
    run = { argv };
    what = shorten(JSON.stringify(argv));
  } else if (raw.shell === true) {
    if (typeof raw.command !== 'string' || raw.command.trim() === '') {
      return { problem: 'command must be a non-empty string' };
    }
    if (hasNul(raw.command)) {
      return { problem: `command contains a NUL byte, which /bin/sh cannot be given: ${quote(raw.command)}` };
    }
    run = { command: raw.command };
    what = quote(raw.command);
  } else if (raw.exitCode !== undefined) {
    return {
      problem:
        'carries a caller-supplied exitCode and no argv: written by an older version that never ran the command; ' +
        'not run now (record it again with evidence.commandExit(argv) or evidence.shellExit(command))',
    };
  } else {
    return { problem: 'needs argv, or command with shell: true' };
  }
  const expected = raw.expectedExitCode ?? 0;
  if (typeof expected !== 'number' || !Number.isInteger(expected) || expected < 0 || expected > 255) {
    return { problem: `expectedExitCode must be an integer from 0 to 255, got ${shown(expected)}` };
  }
  const timeoutMs = raw.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    return { problem: `timeoutMs must be a positive integer, got ${shown(timeoutMs)}` };
  }
  return { run, what, expected, timeoutMs };
}

export function hasNul(s: string): boolean {
  return s.includes('\0');
}

const MAX_SHOWN = 120;

/** s itself, or for a long s its beginning and its length: a reason never repeats a 5,000-character path. */
export function shorten(s: string): string {
  return s.length <= MAX_SHOWN ? s : `${s.slice(0, MAX_SHOWN - 20)}… (${s.length} characters)`;
}

export function quote(s: string): string {
  return s.length <= MAX_SHOWN
    ? JSON.stringify(s)
    : `${JSON.stringify(s.slice(0, MAX_SHOWN - 20))}… (${s.length} characters)`;
}

/** Any parsed JSON value as a reason shows it. */
export function shown(value: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- JSON.stringify returns undefined for undefined and functions
  return shorten(JSON.stringify(value) ?? String(value));
}
