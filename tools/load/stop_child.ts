/**
 * Stopping a child process of the load tools: one signal to ask it to end, SIGKILL when it
 * has not ended in time.
 *
 * @module
 */

/**
 * Sends `signal` to `child` and waits for it to end; sends SIGKILL if it has not ended after
 * `timeoutMs`. Resolves once the child has ended, with whether SIGKILL was needed.
 */
export async function stopChild(
  child: Deno.ChildProcess,
  signal: Deno.Signal,
  timeoutMs: number,
): Promise<boolean> {
  try {
    child.kill(signal);
  } catch {
    // already ended
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    child.status.then(() => false),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), timeoutMs)),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    try {
      child.kill("SIGKILL");
    } catch {
      // ended in between
    }
  }
  await child.status;
  return timedOut;
}
