import { readFileSync } from 'node:fs';

const tick = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks until every pid is dead: gone, or a zombie (it has let go of its files; its parent reaps it later).
 * Synchronous on purpose: a power loss kills, waits and drops in one step, before the harness handles any event of
 * the dying workers. Linux only (/proc); throws naming the pids still alive after timeoutMs.
 */
export function waitUntilDead(pids: number[], timeoutMs = 10_000): void {
  const deadline = performance.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0) {
    if (performance.now() > deadline)
      throw new Error(`processes ${alive.join(', ')} still alive ${timeoutMs} ms after SIGKILL`);
    Atomics.wait(tick, 0, 0, 1);
    alive = alive.filter(isAlive);
  }
}

/** Whether a process is still running: it exists and is not a zombie (Linux /proc). */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state follows the command name, which is in parentheses and may itself contain ") ".
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}
