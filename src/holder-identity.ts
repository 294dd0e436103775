import { hostname } from 'node:os';
import { isSameProcess, ownPidSpace, ownProcessStartTime } from './process-identity.js';

/**
 * Who holds a named ownership item, as its work item records it (columns holder_host, holder_pid_space, holder_pid,
 * holder_start): enough for the next acquirer on the same machine to prove that the holder has died.
 */
export interface HolderColumns {
  holder_host: string | null;
  holder_pid_space: string | null;
  holder_pid: number | null;
  holder_start: string | null;
}

/** What an acquisition records when nobody's identity applies (items handed out by acquire() without a name). */
export const NO_HOLDER: HolderColumns = {
  holder_host: null,
  holder_pid_space: null,
  holder_pid: null,
  holder_start: null,
};

/** This process as a holder: host, pid space (boot id and pid namespace), pid and start time. */
export function ownHolderIdentity(): HolderColumns {
  return {
    holder_host: hostname(),
    holder_pid_space: ownPidSpace(),
    holder_pid: process.pid,
    holder_start: ownProcessStartTime(),
  };
}

/**
 * Whether the recorded holder is provably dead: it ran on this host in this pid space (same boot, same pid namespace)
 * and its pid is gone or now names a process started at another time. A holder anywhere else, or recorded without an
 * identity, is never judged dead here: its lease's expiry decides.
 */
export function holderProvablyDead(row: HolderColumns): boolean {
  const space = ownPidSpace();
  if (row.holder_pid === null || space === null) return false;
  if (row.holder_host !== hostname() || row.holder_pid_space !== space) return false;
  return !isSameProcess(row.holder_pid, row.holder_start);
}

/** A work item as read to decide a takeover: its status and epoch, and its holder's identity. */
export interface HeldItemRow extends HolderColumns {
  status: string;
  epoch: number;
}

/** The epoch a named acquisition may take over (the item is leased and its holder provably dead), or null. */
export function deadHolderEpoch(row: HeldItemRow | undefined): number | null {
  return row?.status === 'leased' && holderProvablyDead(row) ? row.epoch : null;
}
