import { didYouMean } from '../harness/suggest.js';

/** The commands of `agentos-chaos`: each is a name for options the program already has. */
export const COMMANDS = ['run', 'list', 'bench', 'compare', 'campaign', 'replay'] as const;
export type Command = (typeof COMMANDS)[number];

/**
 * The command line as options: `list` → `--list`, `bench` → `--category bench`, `campaign 50` → `--campaign 50`,
 * `replay '<schedule>'` → `--replay '<schedule>'`, `run` (or no command) → as given. `compare` hands the rest to the
 * benchmark comparison. An unknown command is an error naming the commands.
 */
export function commandArgs(argv: readonly string[]): { command: Command; args: string[] } | { error: string } {
  const [first, ...rest] = argv;
  if (first === undefined || first.startsWith('-')) return { command: 'run', args: [...argv] };
  if (!(COMMANDS as readonly string[]).includes(first))
    return { error: `unknown command "${first}"; commands: ${COMMANDS.join(', ')}${didYouMean(first, COMMANDS)}` };
  const command = first as Command;
  const [value, ...after] = rest;
  switch (command) {
    case 'run':
    case 'compare':
      return { command, args: rest };
    case 'list':
      return { command, args: ['--list', ...rest] };
    case 'bench':
      return { command, args: ['--category', 'bench', ...rest] };
    case 'campaign':
    case 'replay':
      if (value === undefined || value.startsWith('-'))
        return {
          error:
            command === 'campaign'
              ? 'campaign needs a number of runs: campaign 30'
              : "replay needs a schedule, as printed in a violation's repro line: replay '<schedule>'",
        };
      return { command, args: [`--${command}`, value, ...after] };
  }
}
