/**
 * Lets a task's steps through one at a time, for a benchmark whose sample is one step's whole cycle: the step waits
 * in its body (pass), the sample lets it go and waits until the next step's body is reached (next). What lies between
 * is what the runtime does per step: record the step, and whatever it checks before the next one.
 */
export class Turnstile {
  #arrival = deferred();
  #release: ((go: boolean) => void) | undefined;

  /** In a step's body: arrives and waits; true to go on, false once the benchmark ended. */
  pass(): Promise<boolean> {
    const released = new Promise<boolean>((resolve) => (this.#release = resolve));
    this.#arrival.resolve();
    return released;
  }

  /** Resolves once a step waits at the turnstile. */
  arrived(): Promise<void> {
    return this.#arrival.promise;
  }

  /** One sample: lets the waiting step go, and resolves once the next step arrived. */
  async next(): Promise<void> {
    await this.#arrival.promise;
    const release = this.#release;
    this.#arrival = deferred();
    release?.(true);
    await this.#arrival.promise;
  }

  /** Ends the benchmark: the waiting step is told to stop. */
  async stop(): Promise<void> {
    await this.#arrival.promise;
    this.#release?.(false);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
