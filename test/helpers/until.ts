/** Resolves once `condition` holds, checking on every turn of the event loop (a state change, not a fixed delay). */
export function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (condition()) resolve();
      else setImmediate(check);
    };
    check();
  });
}
