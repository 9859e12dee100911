/**
 * Time as the server sees it. Every timer of the server goes through a {@linkcode Clock}, so
 * tests can drive the 50 ms, 1 s and 5 s loops and the handshake timeout with a
 * {@linkcode ManualClock} instead of sleeping.
 *
 * @module
 */

/**
 * Opaque handle of a scheduled callback. Each {@linkcode Clock} picks its own representation,
 * so the only thing to do with one is hand it back to the clock that made it.
 *
 * @example
 * ```ts
 * import { systemClock, type TimerId } from "@ghosting/server";
 *
 * const id: TimerId = systemClock.setTimeout(() => console.log("never runs"), 1000);
 * systemClock.clearTimeout(id);
 * ```
 */
export type TimerId = unknown;

/**
 * A monotonic millisecond clock with one-shot timers. Code that takes a `Clock` instead of
 * calling `setTimeout` directly runs on {@linkcode systemClock} in production and on a
 * {@linkcode ManualClock} in tests.
 *
 * @example
 * ```ts
 * import { type Clock, ManualClock, systemClock } from "@ghosting/server";
 *
 * function sleep(clock: Clock, ms: number): Promise<void> {
 *   return new Promise((resolve) => clock.setTimeout(resolve, ms));
 * }
 *
 * await sleep(systemClock, 10);
 *
 * const clock = new ManualClock();
 * const slept = sleep(clock, 5000);
 * clock.advance(5000); // resolves at once, no real waiting
 * await slept;
 * ```
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never goes backwards. */
  now(): number;
  /** Runs `callback` once, `delayMs` from now. */
  setTimeout(callback: () => void, delayMs: number): TimerId;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimeout(id: TimerId): void;
}

/**
 * The real clock: `performance.now()` and the runtime's timers. It is what a
 * {@linkcode GhostServer} uses when no `clock` option is given.
 *
 * @example
 * ```ts
 * import { systemClock } from "@ghosting/server";
 *
 * const started = systemClock.now();
 * await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 50));
 * console.log(`waited ${systemClock.now() - started} ms`);
 * ```
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (id) => clearTimeout(id as number),
};

interface ManualTimer {
  id: number;
  due: number;
  callback: () => void;
}

/**
 * A clock that only moves when told to. Timers fire synchronously inside
 * {@linkcode ManualClock.advance}, in due order, each seeing `now()` equal to its due time.
 *
 * @example
 * ```ts
 * import { ManualClock } from "@ghosting/server";
 * const clock = new ManualClock();
 * clock.setTimeout(() => console.log("tick at", clock.now()), 50);
 * clock.advance(50); // logs "tick at 50"
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: ManualTimer[] = [];

  /** Starts the clock at `start` milliseconds. */
  constructor(start = 0) {
    this.#now = start;
  }

  /** The current time: `start` plus every {@linkcode ManualClock.advance advance} so far. */
  now(): number {
    return this.#now;
  }

  /** Schedules `callback` for `delayMs` from now; negative delays count as 0. */
  setTimeout(callback: () => void, delayMs: number): TimerId {
    const id = this.#nextId++;
    this.#timers.push({ id, due: this.#now + Math.max(0, delayMs), callback });
    return id;
  }

  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimeout(id: TimerId): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== id);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`Cannot advance a clock by ${ms} ms`);
    const target = this.#now + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.#timers) {
        if (timer.due <= target && (!next || timer.due < next.due)) next = timer;
      }
      if (!next) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = next.due;
      next.callback();
    }
    this.#now = target;
  }
}
