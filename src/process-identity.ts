import { readFileSync, readlinkSync } from 'node:fs';

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return true;
}

let pidSpace: string | null | undefined;

/**
 * Where this process's pid names this process: the machine's boot id and the pid namespace ("<boot id>/pid:[…]"), or
 * null where either cannot be read. Containers on one machine share the boot id, not the pid namespace.
 */
export function ownPidSpace(): string | null {
  if (pidSpace === undefined) {
    let namespace: string | null;
    try {
      namespace = readlinkSync('/proc/self/ns/pid');
    } catch {
      namespace = null;
    }
    const boot = ownBootId();
    pidSpace = boot !== null && namespace !== null ? `${boot}/${namespace}` : null;
  }
  return pidSpace;
}

/**
 * Field 22 (starttime, in clock ticks after boot) of a /proc/<pid>/stat line. Field 2 (comm) is in parentheses and
 * may itself contain spaces and parentheses, so fields are counted from the text after the last ')'.
 */
export function parseStatStartTime(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After comm come field 3 (state) onwards: starttime is the 20th of them.
  const value = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/)[19];
  return value !== undefined && /^\d+$/.test(value) ? value : undefined;
}

let bootId: string | null | undefined;

/** This machine's boot id (Linux), or null where it cannot be read: the same for every process of one boot. */
export function ownBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/**
 * When a process started, as an opaque string ("<boot id>:<start time in ticks>", Linux /proc), or undefined where
 * it cannot be read (another OS, /proc hidden, the process gone). Two processes with the same pid never share it.
 */
export function processStartTime(pid: number): string | undefined {
  const stat = readStat(pid);
  return stat === undefined ? undefined : startTimeOf(stat);
}

/** The /proc/<pid>/stat line, or undefined where it cannot be read (another OS, /proc hidden, the process gone). */
function readStat(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
}

function startTimeOf(stat: string): string | undefined {
  const ticks = parseStatStartTime(stat);
  if (ticks === undefined) return undefined;
  // The boot id tells apart a pid and start time seen again after a reboot.
  const boot = ownBootId();
  return boot ? `${boot}:${ticks}` : ticks;
}

/**
 * Whether the process that recorded (pid, startTime) is still running: a process with that pid exists, started at that
 * time and has not exited (a zombie, exited but not yet reaped by its parent, runs no more code). Without a recorded
 * start time, or where /proc cannot be read, liveness of the pid decides.
 */
export function isSameProcess(pid: number, startTime: string | null | undefined): boolean {
  const stat = readStat(pid);
  if (stat !== undefined && /^[ZX]$/.test(statState(stat) ?? '')) return false;
  if (startTime === null || startTime === undefined) return isAlive(pid);
  const current = stat === undefined ? undefined : startTimeOf(stat);
  return current === undefined ? isAlive(pid) : current === startTime;
}

/** Field 3 (state: R, S, D, Z for a zombie, X dead, …) of a /proc/<pid>/stat line, read after the last ')'. */
function statState(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  return close < 0
    ? undefined
    : stat
        .slice(close + 1)
        .trim()
        .split(/\s+/)[0];
}

let ownStart: string | null | undefined;
/** This process's start time (see processStartTime), read once; recorded with its pid on the rows it owns. */
export function ownProcessStartTime(): string | null {
  if (ownStart === undefined) ownStart = processStartTime(process.pid) ?? null;
  return ownStart;
}
