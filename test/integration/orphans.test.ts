import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../harness/workers/supervisor.js';
import { openDatabase } from '../../src/index.js';
import { useTempDir } from '../helpers/temp-db.js';
import { until } from '../helpers/until.js';

/** Pids of live (non-zombie) processes whose command line is exactly `sleep <seconds>`. */
function sleepers(seconds: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && !m[2]!.startsWith('Z') && m[3] === `sleep ${seconds}`)
    .map((m) => Number(m[1]));
}

describe('no orphans', () => {
  const tempDir = useTempDir();

  it('kills a tool call (in its own process group) that outlived its SIGKILLed worker', async () => {
    const dir = tempDir();
    openDatabase(join(dir, 'agentos.db')).close();
    const supervisor = new Supervisor();
    // A distinctive duration, so that only this test's sleep matches.
    const seconds = 3000 + Math.floor(Math.random() * 1000);
    try {
      const worker = supervisor.spawn({
        id: 'tools',
        group: 'tools',
        workload: 'tool-replay',
        params: { commands: 1, passes: 1, sleepSeconds: seconds },
        dbPath: join(dir, 'agentos.db'),
        runDir: dir,
        durability: 'normal',
        onEvent: () => undefined,
        onExit: () => undefined,
      });
      await until(() => existsSync(join(dir, 'effects', 'cmd-0.log')) && sleepers(seconds).length === 1);
      worker.signal('SIGKILL');
      expect((await worker.exited).signal).toBe('SIGKILL');
      // The worker is gone, its tool call is not: it runs in a process group of its own.
      expect(sleepers(seconds)).toHaveLength(1);
      // Found by the mark the supervisor put in its workers' environment (with the shell that started it).
      expect(supervisor.survivors()).toEqual(expect.arrayContaining(sleepers(seconds)));
      await supervisor.reapAll();
      expect(sleepers(seconds)).toEqual([]);
      expect(supervisor.survivors()).toEqual([]);
    } finally {
      await supervisor.reapAll();
      // Should the mechanism under test fail, do not leave the sleep behind.
      for (const pid of sleepers(seconds)) process.kill(pid, 'SIGKILL');
    }
  });
});
