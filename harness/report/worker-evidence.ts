import type { HistoryEntry } from '../workers/protocol.js';

/** Faults whose injection kills processes: a worker they killed died as declared, which explains nothing. */
const KILLING_FAULTS = new Set(['sigkill', 'power-loss']);

/** Lines shown before the rest are counted. */
const SHOWN = 8;

const firstLine = (text: string): string => text.trim().split('\n')[0]?.trim() ?? '';

/**
 * What the workers said and how they ended, from a test's history, as far as it can explain a failure: every
 * worker.error (first line), every exit with a non-zero code, every death by a signal no fault sent (a kill the harness
 * sent at teardown, on a timeout or an interruption, is named as such), and for a worker
 * that failed without reporting an error the error its stderr names (Node's report of an uncaught error ends with a
 * version line, so the last line alone says nothing). Identical lines are merged with a count.
 */
export function workerEvidence(history: readonly HistoryEntry[]): string[] {
  const groupOf = new Map<string, string>();
  const pidOf = new Map<string, number>();
  const killed = new Set<string>();
  /** Workers the harness itself killed at teardown, and why. */
  const reaped = new Map<string, string>();
  for (const e of history) {
    if (e.kind === 'worker.reaped') reaped.set(e.worker, e.reason);
    if (e.kind === 'worker.started') {
      groupOf.set(e.worker, e.group);
      pidOf.set(e.worker, e.pid);
    }
    if (e.kind === 'fault.injected' && KILLING_FAULTS.has(e.fault)) killed.add(e.target);
  }
  const killedByFault = (worker: string): boolean =>
    killed.has('all') || killed.has(worker) || killed.has(groupOf.get(worker) ?? worker);
  const who = (worker: string): string => `${worker}${pidOf.has(worker) ? ` (pid ${pidOf.get(worker)})` : ''}`;
  const errored = new Set<string>();
  const lines: string[] = [];
  for (const e of history) {
    if (e.kind === 'worker.error') {
      errored.add(e.worker);
      lines.push(`${e.worker}: ${firstLine(e.message)}`);
    } else if (e.kind === 'worker.exited') {
      if (e.exitCode !== null && e.exitCode !== 0) lines.push(`${who(e.worker)} exited with code ${e.exitCode}`);
      else if (e.signal !== null && !killedByFault(e.worker))
        lines.push(
          `${who(e.worker)} was killed by ${e.signal}, which ${reaped.has(e.worker) ? `the harness sent at teardown: ${reaped.get(e.worker)}` : 'no fault sent'}`,
        );
    }
  }
  const failed = new Set(
    history.flatMap((e) => (e.kind === 'worker.exited' && e.exitCode !== null && e.exitCode !== 0 ? [e.worker] : [])),
  );
  for (const e of history) {
    if (e.kind === 'worker.stderr' && failed.has(e.worker) && !errored.has(e.worker))
      lines.push(`${e.worker} stderr: ${stderrError(e.text)}`);
  }
  return merge(lines);
}

/** The line of stderr that names the error ("Error: read ECONNRESET"), else its last line. */
function stderrError(text: string): string {
  const lines = text
    .trim()
    .split('\n')
    .map((l) => l.trim());
  const error = lines.find((l) => /^(\w*Error|error)\b.*:/.test(l));
  const emitted = lines.find((l) => l.startsWith("Emitted 'error' event"));
  return [error ?? lines.at(-1) ?? '', emitted].filter(Boolean).join(' — ');
}

/** "x (×3)" for repeated lines, in first-seen order, at most SHOWN of them. */
function merge(lines: string[]): string[] {
  const counts = new Map<string, number>();
  // Worker ids differ between otherwise identical lines ("busy-3: SQLITE_BUSY"): merge on the message.
  const key = (line: string): string => line.replace(/ \(pid \d+\)/, '').replace(/^([a-z][\w-]*?)-\d+(?=[: ])/, '$1-*');
  const first = new Map<string, string>();
  for (const line of lines) {
    const k = key(line);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    if (!first.has(k)) first.set(k, line);
  }
  const merged = [...first].map(([k, line]) =>
    counts.get(k)! > 1 ? `${line} (and ${counts.get(k)! - 1} more like it)` : line,
  );
  return merged.length > SHOWN ? [...merged.slice(0, SHOWN), `… ${merged.length - SHOWN} more in the history`] : merged;
}
