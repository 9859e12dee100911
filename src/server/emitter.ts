/**
 * A small typed event emitter whose listeners can never break the emitter.
 *
 * @module
 */

/**
 * Removes the listener it was returned for. {@linkcode GhostServer.on} returns one so that a
 * plugin can clean up without keeping a reference to each listener function.
 *
 * @example
 * ```ts
 * import type { GhostServer, Unsubscribe } from "@ghosting/server";
 *
 * // Listen to chat only until the first "!stop".
 * function echoChat(server: GhostServer) {
 *   const off: Unsubscribe = server.on("message", ({ client, text }) => {
 *     if (text === "!stop") off();
 *     else console.log(`${client.name}: ${text}`);
 *   });
 * }
 * ```
 */
export type Unsubscribe = () => void;

/** A listener may be async: its rejection is reported like a throw. */
type Listener<T> = (event: T) => unknown;

/**
 * Typed `on`/`off`/`once` over an event map. A listener that throws, or returns a promise that
 * rejects, is reported to `onListenerError` and the other listeners still run (an unhandled
 * rejection would otherwise terminate the process).
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();
  readonly #onListenerError: (error: unknown, type: keyof Events) => void;

  constructor(onListenerError: (error: unknown, type: keyof Events) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Calls `listener` for every event of `type`; returns a function that stops it. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): Unsubscribe {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, set = new Set());
    set.add(listener as Listener<never>);
    return () => this.off(type, listener);
  }

  /** Stops calling `listener` for `type`. */
  off<K extends keyof Events>(type: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(type)?.delete(listener as Listener<never>);
  }

  /**
   * Resolves with the next event of `type` that passes `filter`.
   *
   * @param signal rejects the promise and removes the listener when aborted
   */
  once<K extends keyof Events>(
    type: K,
    filter: (event: Events[K]) => boolean = () => true,
    signal?: AbortSignal,
  ): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        off();
        reject(signal?.reason);
      };
      const off = this.on(type, (event) => {
        if (!filter(event)) return;
        off();
        signal?.removeEventListener("abort", onAbort);
        resolve(event);
      });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Whether anyone listens to `type`; lets hot paths skip building events nobody reads. */
  hasListeners(type: keyof Events): boolean {
    return (this.#listeners.get(type)?.size ?? 0) > 0;
  }

  /** Delivers `event` to every listener of `type`, in subscription order. */
  emit<K extends keyof Events>(type: K, event: Events[K]): void {
    const set = this.#listeners.get(type);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        const result = (listener as Listener<Events[K]>)(event);
        if (result instanceof Promise) {
          result.catch((error: unknown) => this.#onListenerError(error, type));
        }
      } catch (error) {
        this.#onListenerError(error, type);
      }
    }
  }
}
