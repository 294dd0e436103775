/**
 * Runs each thread's operations one after another, in the order they were asked for. LangGraph does not wait for a
 * task's putWrites before it puts the next checkpoint, and on PostgreSQL two statements on two connections may commit
 * in either order; a put must see the evidence its parent's tasks saved, and a thread's lease is taken once.
 */
export class ThreadQueue {
  /** Per thread, the last operation asked for, settled either way. */
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Runs `operation` once every operation asked for earlier on the thread has settled. */
  run<T>(threadId: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(threadId);
    const result = previous ? previous.then(operation) : operation();
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(threadId, tail);
    void tail.then(() => {
      if (this.#tails.get(threadId) === tail) this.#tails.delete(threadId);
    });
    return result;
  }
}
