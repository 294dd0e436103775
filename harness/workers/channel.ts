import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AnyEvent, WorkerCommand } from './protocol.js';

/**
 * The worker's side of the protocol. Events go out with a synchronous write, so when the harness has read
 * "checkpoint.committed" the commit had already returned: an acknowledged write.
 */
export class WorkerChannel {
  readonly #queue: WorkerCommand[] = [];
  readonly #waiters: ((c: WorkerCommand) => void)[] = [];
  readonly #onCommand: (c: WorkerCommand) => boolean;

  /** onCommand handles commands for the entry point itself (e.g. clock skew); it returns true if it consumed one. */
  constructor(onCommand: (c: WorkerCommand) => boolean) {
    this.#onCommand = onCommand;
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      const command = JSON.parse(line) as WorkerCommand;
      if (this.#onCommand(command)) return;
      const waiter = this.#waiters.shift();
      if (waiter) waiter(command);
      else this.#queue.push(command);
    });
    // The harness closing stdin must not keep this process alive or kill it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a file or TTY as stdin has no ref/unref
    process.stdin.unref?.();
  }

  emit(event: AnyEvent): void {
    const bytes = Buffer.from(`${JSON.stringify(event)}\n`);
    // stdout may be a non-blocking pipe: a large line is written in pieces, waiting out EAGAIN while the harness reads.
    for (let offset = 0; offset < bytes.length; ) {
      try {
        offset += writeSync(1, bytes, offset);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      }
    }
  }

  /** The next command from the harness that the entry point did not consume. */
  nextCommand(): Promise<WorkerCommand> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a file or TTY as stdin has no ref/unref
    process.stdin.ref?.();
    return new Promise((resolve) => this.#waiters.push(resolve)).finally(() => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a file or TTY as stdin has no ref/unref
      if (this.#waiters.length === 0) process.stdin.unref?.();
    }) as Promise<WorkerCommand>;
  }
}
