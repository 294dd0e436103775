import { hostname } from 'node:os';
import { ToolCallInProgressError } from '../errors.js';
import { isSameProcess, ownPidSpace } from '../process-identity.js';
import type { ToolCallRow } from '../store.js';

/**
 * Whether the owner of a started call may still be running it (the error to throw), or is gone (undefined: the call
 * is in doubt). An owner in this pid space is judged by its pid and start time. One on another machine or in another
 * container (another pid namespace) cannot be seen from here: it counts as running while the lease it started under
 * is held, or, without a lease, until the call is resolved with forget().
 */
export function ownerStillRunning(key: string, command: string, row: ToolCallRow): ToolCallInProgressError | undefined {
  // Disowned after its lease was lost, or started by this process (whose own calls in progress are shared).
  if (row.owner_pid === null || (row.owner_pid === process.pid && samePidSpace(row))) return undefined;
  if (samePidSpace(row)) {
    return isSameProcess(row.owner_pid, row.owner_start)
      ? new ToolCallInProgressError(key, command, row.owner_pid)
      : undefined;
  }
  // A lease it ran under that is no longer held shows that it is gone, or fenced off (its result would be refused).
  if (row.lease_item !== null && !row.lease_held) return undefined;
  return new ToolCallInProgressError(key, command, row.owner_pid, row.owner_host ?? 'unknown');
}

/** Whether the row's owner pid names a process this one can see: same boot and pid namespace (or, unknown, host). */
function samePidSpace(row: ToolCallRow): boolean {
  // Recorded without a host: by a release that recorded the pid alone, on SQLite, and judged it by its pid.
  if (row.owner_host === null) return true;
  const space = ownPidSpace();
  return space !== null ? row.owner_pid_space === space : row.owner_pid_space === null && row.owner_host === hostname();
}
