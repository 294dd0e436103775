import { createHash, type Hash } from 'node:crypto';
import { resolve } from 'node:path';
import { sha256Hex } from '../evidence.js';
import { canonicalJson } from '../json-state.js';
import type { Metrics } from '../metrics.js';
import { InvalidArgumentError, assertId, assertPositiveInt } from '../validate.js';
import type { Fence } from './fence.js';

export interface ToolRunOptions {
  cwd?: string;
  /** Variables added to (or overriding) the ledger's base environment for the command; part of the call's identity. */
  env?: Record<string, string>;
  /**
   * The call's identity, chosen by the caller: calls with the same key are the same call whatever their command,
   * cwd and environment (the caller then answers for giving different calls different keys). Without it the identity
   * is the command, the absolute cwd and the effective environment (process.env merged with env).
   */
  key?: string;
  /**
   * Kill the command's process group after this many ms and return at once with timedOut (the result is recorded
   * like any other). Without it, run() waits until the command and everything holding its output open have ended.
   */
  timeoutMs?: number;
  /** Keep at most this many bytes of each of stdout and stderr (default: the ledger's maxOutputBytes). */
  maxOutputBytes?: number;
  /** What to do with a call that was started but never finished: 'throw' (default) or 'execute' it again. */
  onInDoubt?: 'throw' | 'execute';
  /**
   * Run under this lease (e.g. a Lease from LeaseManager): the started and the completed record are each written only
   * while the lease is still held, else LeaseLostError (a refused start runs nothing; a refused finish leaves the call
   * started, so the lease's new holder finds it in doubt).
   */
  lease?: Fence;
}

export interface ToolResult {
  /** The shell's exit code; null when it was killed by a signal, or on a timeout. */
  exitCode: number | null;
  /** stdoutBytes decoded as UTF-8 (lossy: bytes that are not UTF-8 become U+FFFD). */
  stdout: string;
  /** stderrBytes decoded as UTF-8 (lossy, as stdout). */
  stderr: string;
  /** The output byte for byte, identical between the execution and every replay. */
  stdoutBytes: Buffer;
  stderrBytes: Buffer;
  /** The timeout fired: the process group was killed and the output is what had arrived by then. */
  timedOut: boolean;
  /** stdout or stderr was longer than maxOutputBytes and was cut there. */
  truncated: boolean;
  /** How long the command ran when it was executed (for a replay: the recorded duration). */
  durationMs: number;
  /** True when the result came from the ledger and the command did not run. */
  replayed: boolean;
}

export interface ToolLedgerStats {
  executed: number;
  replayed: number;
  replayRate: number;
}

export interface ToolLedgerOptions {
  /** How long a recorded result may be replayed, in ms (default 30 days, as the seed). */
  ttlMs?: number;
  /** Default cap on the bytes kept of each of stdout and stderr, per call (default 10 MiB). */
  maxOutputBytes?: number;
  /**
   * The environment every command starts from. Default: the variables named by `inheritEnv`, taken from process.env
   * when the ledger is created. Captured once: a call's key covers exactly what the child gets.
   */
  env?: Record<string, string>;
  /**
   * Which of this process's variables commands inherit (default INHERITED_ENV: PATH, HOME, locale and the like), or
   * 'all'. Only what a command gets is part of its identity, so a process restarted with other unrelated variables
   * still recognises its calls; with 'all', any difference in the environment makes every call a new one.
   */
  inheritEnv?: readonly string[] | 'all';
  metrics?: Metrics;
}

/** What an executed command left: its exit code, its output (capped) and whether it was cut off. */
export interface Output {
  exitCode: number | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  truncated: boolean;
}

/** The sha256 state after an environment's canonical JSON: the first part of a derived call key. */
function hashEnv(env: Readonly<Record<string, string>>): Hash {
  return createHash('sha256').update(`${canonicalJson(env, 'env')}\n`);
}

/** The variables a command inherits from this process by default: where programs are, who and where we are. */
export const INHERITED_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'TZ',
  'TMPDIR',
  'TERM',
];

/** The named variables of process.env (or all of them). */
function inherited(names: readonly string[] | 'all'): Record<string, string | undefined> {
  if (names === 'all') return process.env;
  return Object.fromEntries(names.map((name) => [name, process.env[name]]));
}

/** Every run option checked before anything is written: a wrong type would change a call's identity or its effect. */
function checkRunOptions(options: ToolRunOptions): void {
  // Read as untyped input: a caller may be JavaScript.
  const o = options as Record<string, unknown>;
  const bad = (message: string): InvalidArgumentError => new InvalidArgumentError(`tool call option ${message}`);
  if (o.timeoutMs !== undefined) assertPositiveInt('timeoutMs', o.timeoutMs);
  if (o.maxOutputBytes !== undefined) assertPositiveInt('maxOutputBytes', o.maxOutputBytes, { allowZero: true });
  if (o.onInDoubt !== undefined && o.onInDoubt !== 'throw' && o.onInDoubt !== 'execute') {
    throw bad(`onInDoubt must be 'throw' or 'execute', got ${JSON.stringify(o.onInDoubt)}`);
  }
  if (o.cwd !== undefined && typeof o.cwd !== 'string') throw bad(`cwd must be a string, got ${typeof o.cwd}`);
  const env = (o.env ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string')
      throw bad(`env.${name} must be a string, got ${value === null ? 'null' : typeof value}`);
  }
  const lease = o.lease as Record<string, unknown> | undefined;
  if (
    lease !== undefined &&
    (typeof lease.itemId !== 'string' || !Number.isSafeInteger(lease.epoch) || typeof lease.workerId !== 'string')
  ) {
    throw bad('lease must be a Lease from LeaseManager.acquire (itemId, epoch, workerId)');
  }
}

/** A copy of an environment without unset variables. */
function snapshotEnv(source: Record<string, string | undefined>): Readonly<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) if (value !== undefined) env[name] = value;
  return Object.freeze(env);
}

/**
 * A call's identity and environment: the ledger's base environment, captured once, and the key derived from a call
 * (see ToolLedger.keyOf).
 */
export class ToolCallIdentity {
  readonly baseEnv: Readonly<Record<string, string>>;
  /** sha256 state after the base environment's canonical JSON: copied per call instead of rehashing it. */
  readonly #baseEnvHash: Hash;

  constructor(options: Pick<ToolLedgerOptions, 'env' | 'inheritEnv'>) {
    this.baseEnv = snapshotEnv(options.env ?? inherited(options.inheritEnv ?? INHERITED_ENV));
    this.#baseEnvHash = hashEnv(this.baseEnv);
  }

  keyOf(command: string, options: Pick<ToolRunOptions, 'cwd' | 'env' | 'key'>): string {
    if (options.key !== undefined) {
      assertId('key', options.key);
      // A different shape from the derived identity, so a caller's key never equals a derived one.
      return sha256Hex(canonicalJson({ key: options.key }));
    }
    const hash = options.env ? hashEnv({ ...this.baseEnv, ...options.env }) : this.#baseEnvHash.copy();
    return hash.update(canonicalJson({ command, cwd: resolve(options.cwd ?? '.') })).digest('hex');
  }

  /** The environment a call's command gets: the base environment with options.env on top. */
  envOf(options: Pick<ToolRunOptions, 'env'>): Readonly<Record<string, string>> {
    return options.env ? { ...this.baseEnv, ...options.env } : this.baseEnv;
  }
}

/** Checks a call before anything is written; returns its absolute cwd. */
export function checkCall(command: string, options: ToolRunOptions): string {
  if (typeof command !== 'string' || command.trim() === '') {
    throw new InvalidArgumentError(`command must be a non-empty string, got ${JSON.stringify(command)}`);
  }
  checkRunOptions(options);
  return resolve(options.cwd ?? '.');
}

/** The result a caller gets: the recorded output, decoded, with how long it ran and whether it was replayed. */
export function toolResult(output: Output, durationMs: number, replayed: boolean): ToolResult {
  return {
    exitCode: output.exitCode,
    stdout: output.stdout.toString('utf8'),
    stderr: output.stderr.toString('utf8'),
    stdoutBytes: output.stdout,
    stderrBytes: output.stderr,
    timedOut: output.timedOut,
    truncated: output.truncated,
    durationMs,
    replayed,
  };
}
