import { describe, expect, it } from 'vitest';
import { commandArgs } from './commands.js';

describe('commandArgs', () => {
  it('turns each command into the options it stands for', () => {
    expect(commandArgs(['--only', 'x'])).toEqual({ command: 'run', args: ['--only', 'x'] });
    expect(commandArgs(['run', '--seed', '1'])).toEqual({ command: 'run', args: ['--seed', '1'] });
    expect(commandArgs(['list', '--builtin'])).toEqual({ command: 'list', args: ['--list', '--builtin'] });
    expect(commandArgs(['bench', '--only', 'b'])).toEqual({
      command: 'bench',
      args: ['--category', 'bench', '--only', 'b'],
    });
    expect(commandArgs(['campaign', '50', '--seed', '3'])).toEqual({
      command: 'campaign',
      args: ['--campaign', '50', '--seed', '3'],
    });
    expect(commandArgs(['replay', 's=1'])).toEqual({ command: 'replay', args: ['--replay', 's=1'] });
    expect(commandArgs(['compare', 'a.json', 'b.json'])).toEqual({ command: 'compare', args: ['a.json', 'b.json'] });
  });

  it('names the commands, and the closest, for an unknown one; asks for what a command needs', () => {
    expect(commandArgs(['camapign', '5'])).toEqual({
      error:
        'unknown command "camapign"; commands: run, list, bench, compare, campaign, replay; did you mean "campaign"?',
    });
    expect(commandArgs(['campaign'])).toEqual({ error: 'campaign needs a number of runs: campaign 30' });
    const replay = commandArgs(['replay', '--seed', '1']);
    expect('error' in replay ? replay.error : '').toContain('replay needs a schedule');
  });
});
