import type { TestResult } from '../../result.js';
import { failedTest } from '../failures.js';
import { painter, type Output, type Paint } from './style.js';

export interface ProgressOptions {
  /** Redraw one status line in place (a terminal); else print plain lines a log keeps readable. */
  live: boolean;
  color: boolean;
  /** Monotonic milliseconds (performance.now). */
  now: () => number;
  /** Without a live line: how often a long test says it is still running. */
  heartbeatMs?: number;
  /** With a live line: how often the elapsed time is redrawn. */
  redrawMs?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[2K';

const secondsText = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/**
 * The account of a run as it happens: each test's name and a running state with its elapsed time and latest step,
 * then its verdict with its time (and, for a failure, its first cause). On a terminal the running state is one line
 * redrawn in place; in a log, a start line, the steps, a line every heartbeat while it runs long, and the verdict.
 */
export class RunProgress {
  readonly #out: Output;
  readonly #options: Required<ProgressOptions>;
  readonly #paint: Paint;
  readonly #total: number;
  #current: { label: string; title: string; index: number; started: number; step: string } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #frame = 0;
  #statusShown = false;

  constructor(out: Output, total: number, options: ProgressOptions) {
    this.#out = out;
    this.#total = total;
    this.#options = { heartbeatMs: 15_000, redrawMs: 250, ...options };
    this.#paint = painter(options.color);
  }

  /** The test running now ("chaos/kill9-recovery"), if any. */
  get current(): string | undefined {
    return this.#current?.label;
  }

  start(label: string, title: string, index: number): void {
    this.#stopTimer();
    this.#current = { label, title, index, started: this.#options.now(), step: '' };
    if (this.#options.live) this.#drawStatus();
    else this.#out.write(`${this.#counter(index)} ${label} — ${title}: running\n`);
    const every = this.#options.live ? this.#options.redrawMs : this.#options.heartbeatMs;
    this.#timer = setInterval(() => (this.#options.live ? this.#drawStatus() : this.#heartbeat()), every);
    this.#timer.unref();
  }

  /** A step inside the running test ("fault sigkill: SIGKILL sent to writer"). */
  note(message: string): void {
    if (this.#current) this.#current.step = message;
    this.#clearStatus();
    this.#out.write(`${this.#paint('dim', `    · ${message}`)}\n`);
    if (this.#options.live) this.#drawStatus();
  }

  finish(result: TestResult, index: number): void {
    this.#stopTimer();
    this.#clearStatus();
    const label = this.#current?.label ?? result.id;
    this.#current = undefined;
    const time = secondsText(result.durationMs);
    if (result.state === 'passed')
      this.#out.write(`${this.#paint('green', '✓')} ${this.#counter(index)} ${label} passed in ${time}\n`);
    else if (result.state === 'not-applicable')
      this.#out.write(
        `${this.#paint('yellow', '–')} ${this.#counter(index)} ${label} not applicable: ${result.reason}\n`,
      );
    else {
      const f = failedTest(result);
      this.#out.write(
        `${this.#paint('red', '✗')} ${this.#counter(index)} ${this.#paint('bold', label)} ${this.#paint('red', `failed in ${time}`)}\n`,
      );
      for (const cause of [...(f?.causes ?? []), ...(f?.harness ?? [])].slice(0, 3))
        this.#out.write(`      ${cause}\n`);
    }
  }

  /** Stops redrawing (after the run, or when it is interrupted) and leaves the cursor on a clean line. */
  close(): void {
    this.#stopTimer();
    this.#clearStatus();
  }

  #counter(index: number): string {
    return this.#paint('dim', `[${index + 1}/${this.#total}]`);
  }

  #drawStatus(): void {
    const c = this.#current;
    if (!c) return;
    const spinner = SPINNER[this.#frame++ % SPINNER.length]!;
    const step = c.step ? ` · ${c.step}` : '';
    const text = `[${c.index + 1}/${this.#total}] ${c.label} · running ${secondsText(this.#options.now() - c.started)}${step} — ${c.title}`;
    // A status line wider than the terminal would wrap, and clearing it would clear only its last row.
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- a terminal reporting 0 columns has no width either
    const width = Math.max(20, (this.#out.columns || 100) - 3);
    this.#out.write(
      `${CLEAR_LINE}${this.#paint('cyan', spinner)} ${text.length > width ? `${text.slice(0, width - 1)}…` : text}`,
    );
    this.#statusShown = true;
  }

  #clearStatus(): void {
    if (this.#statusShown) this.#out.write(CLEAR_LINE);
    this.#statusShown = false;
  }

  #heartbeat(): void {
    const c = this.#current;
    if (c)
      this.#out.write(
        `    … ${c.label} still running (${secondsText(this.#options.now() - c.started)})${c.step ? `; last: ${c.step}` : ''}\n`,
      );
  }

  #stopTimer(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
