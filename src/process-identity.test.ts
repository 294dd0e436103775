import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDir } from '../test/helpers/temp-db.js';
import { until } from '../test/helpers/until.js';
import { isSameProcess, parseStatStartTime, processStartTime } from './process-identity.js';

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}

const ticksOf = (start: string | undefined): number => Number(start?.split(':').pop());

describe('process identity', () => {
  const tempDir = useTempDir();

  it('reads starttime after the last ")", whatever the command name holds', () => {
    const fields = [
      'S',
      '1',
      '4242',
      '4242',
      '0',
      '-1',
      '4194560',
      '100',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      '20',
      '0',
      '1',
      '0',
      '987654',
      '1000',
    ];
    expect(parseStatStartTime(`4242 (a) (b c) ${fields.join(' ')}`)).toBe('987654');
    expect(parseStatStartTime(`4242 (sleep) ${fields.join(' ')}`)).toBe('987654');
    expect(parseStatStartTime('4242 (sleep) S 1')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')(
    'tells a live process from a reused or dead pid by its start time',
    async () => {
      const own = processStartTime(process.pid);
      expect(own).toMatch(/^([0-9a-f-]+:)?\d+$/);
      expect(isSameProcess(process.pid, own)).toBe(true);
      expect(isSameProcess(process.pid, `${own}0`)).toBe(false);
      expect(isSameProcess(process.pid, null)).toBe(true);
      const dead = deadPid();
      expect(processStartTime(dead)).toBeUndefined();
      expect(isSameProcess(dead, own)).toBe(false);
      expect(isSameProcess(dead, null)).toBe(false);

      // A command name with spaces and parentheses, as an attacker or an odd binary name could give.
      const odd = join(tempDir(), 'x) (y z');
      symlinkSync(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim(), odd);
      const child = spawn(odd, ['30'], { stdio: 'ignore' });
      try {
        const pid = child.pid;
        if (pid === undefined) throw new Error('the oddly named sleep did not start');
        await until(() => readFileSync(`/proc/${pid}/stat`, 'utf8').includes('(x) (y z)'));
        const start = processStartTime(pid);
        // It started after this process; a parser counting fields from the line's start would read num_threads (1).
        expect(ticksOf(start)).toBeGreaterThanOrEqual(ticksOf(own));
        expect(isSameProcess(pid, start)).toBe(true);
      } finally {
        child.kill('SIGKILL');
      }
    },
  );

  it.runIf(process.platform === 'linux')(
    'counts a zombie as dead: it has exited and will write nothing more, though its parent has not reaped it yet',
    async () => {
      // sh starts `sleep 0` in the background, prints its pid and becomes `sleep 30`, which never reaps it.
      const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        const pid = Number(
          await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(String(d)))),
        );
        await until(() => readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '));
        const start = processStartTime(pid);
        expect(start).toBeDefined();
        expect(isSameProcess(pid, start)).toBe(false);
        expect(isSameProcess(pid, null)).toBe(false);
      } finally {
        parent.kill('SIGKILL');
      }
    },
  );
});
