/** Source of wall-clock time in milliseconds since the epoch. Everything in the layer that reads time takes one. */
export interface Clock {
  now(): number;
}

/** The real clock. */
export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that only moves when told to: for deterministic tests. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  set(ms: number): void {
    this.#now = ms;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** Another clock shifted by an adjustable offset: the harness's clock-skew fault moves it instead of waiting. */
export class SkewedClock implements Clock {
  #offsetMs: number;
  constructor(
    private readonly base: Clock = systemClock,
    offsetMs = 0,
  ) {
    this.#offsetMs = offsetMs;
  }
  now(): number {
    return this.base.now() + this.#offsetMs;
  }
  get offsetMs(): number {
    return this.#offsetMs;
  }
  skew(deltaMs: number): void {
    this.#offsetMs += deltaMs;
  }
  reset(): void {
    this.#offsetMs = 0;
  }
}
