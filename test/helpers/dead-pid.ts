import { execFileSync } from 'node:child_process';

/** The pid of a process that has exited and been reaped. */
export function deadPid(): number {
  return Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
}
