/**
 * Stop signals for the server command: one Ctrl+C stops gracefully even when the terminal and
 * `deno task` both deliver it (a burst within a second counts as one); a second one later
 * quits at once.
 *
 * @module
 */

/** Signals within this long of the first one are the same request. */
export const SIGNAL_BURST_MS = 1000;

/** The signals that stop the server gracefully (those that exist on this platform). */
export const STOP_SIGNALS: readonly Deno.Signal[] = Deno.build.os === "windows"
  ? ["SIGINT", "SIGBREAK"]
  : ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Calls `stop` on the first stop request and `quit` on a request that comes more than
 * {@linkcode SIGNAL_BURST_MS} after it; requests in between are the same Ctrl+C delivered
 * twice. Returns the request function (for signals and a terminal console's Ctrl+C).
 */
export function stopRequests(
  stop: () => void,
  quit: () => void,
  now: () => number = () => performance.now(),
): () => void {
  let first: number | undefined;
  return () => {
    const at = now();
    if (first === undefined) {
      first = at;
      stop();
    } else if (at - first > SIGNAL_BURST_MS) {
      quit();
    }
  };
}

/** Calls `request` on every stop signal; returns a function that stops listening. */
export function listenForStopSignals(request: () => void): () => void {
  const added: Deno.Signal[] = [];
  for (const signal of STOP_SIGNALS) {
    try {
      Deno.addSignalListener(signal, request);
      added.push(signal);
    } catch {
      // Not available here (e.g. no SIGHUP on some platforms).
    }
  }
  return () => {
    for (const signal of added) Deno.removeSignalListener(signal, request);
  };
}
