/**
 * Resolves once `condition` holds, checking on every turn of the event loop (a state change, not a fixed delay).
 * Rejects if the condition throws (say, its file was removed after a failed test), so no error escapes to a later test.
 */
export function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      try {
        if (condition()) resolve();
        else setImmediate(check);
      } catch (error) {
        reject(error as Error);
      }
    };
    check();
  });
}
