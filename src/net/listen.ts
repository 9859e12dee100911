/**
 * Binding the TCP listener and the UDP socket on the same port, as SAR expects, and
 * accepting connections.
 *
 * @module
 */
import { TcpConnection, type TcpConnectionOptions } from "./tcp_connection.ts";

/**
 * The server could not bind its port: in use, not allowed, or no such address. The message
 * names the port and what to change.
 *
 * @example
 * ```ts
 * import { GhostServer, ListenError } from "@ghosting/server";
 *
 * try {
 *   await new GhostServer({ port: 53000 }).start();
 * } catch (error) {
 *   if (error instanceof ListenError) console.error(error.message);
 *   else throw error;
 * }
 * ```
 */
export class ListenError extends Error {
  /** Creates the error; `message` says what failed and what to change. */
  constructor(message: string) {
    super(message);
    this.name = "ListenError";
  }
}

/** A TCP listener and a UDP socket bound to the same port number. */
export interface BoundSockets<Udp> {
  tcp: Deno.TcpListener;
  udp: Udp;
  port: number;
}

function explain(error: unknown, protocol: string, hostname: string, port: number): ListenError {
  const where = `${hostname}:${port} (${protocol})`;
  if (error instanceof Deno.errors.AddrInUse) {
    return new ListenError(
      `Port ${port} is already in use on ${hostname} (${protocol}); stop the other server or choose another port with --port or [server] port`,
    );
  }
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    return new ListenError(`Not allowed to listen on ${where}: ${(error as Error).message}`);
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return new ListenError(
      `Cannot listen on ${where}: this machine has no such address; check [server] hostname`,
    );
  }
  return new ListenError(`Cannot listen on ${where}: ${(error as Error).message}`);
}

/**
 * Binds TCP, then UDP on the port TCP got, with `openUdp` (given the listener's address as a
 * literal). With port 0 a free port is chosen; if its UDP twin is taken, another one is tried.
 *
 * @throws {ListenError} naming the port and what to change
 */
export function bindSockets<Udp>(
  hostname: string,
  port: number,
  openUdp: (hostname: string, port: number) => Udp,
): BoundSockets<Udp> {
  for (let attempt = 0;; attempt++) {
    let tcp: Deno.TcpListener;
    try {
      tcp = Deno.listen({ hostname, port, transport: "tcp" });
    } catch (error) {
      throw explain(error, "TCP", hostname, port);
    }
    const address = tcp.addr as Deno.NetAddr;
    const bound = address.port;
    try {
      return { tcp, udp: openUdp(address.hostname, bound), port: bound };
    } catch (error) {
      tcp.close();
      if (port !== 0 || attempt >= 10 || !(error instanceof Deno.errors.AddrInUse)) {
        throw explain(error, "UDP", hostname, bound);
      }
    }
  }
}

/**
 * How many connections are accepted in one turn of the event loop. While the kernel's backlog
 * is full (a connection flood), `accept()` resolves at once every time and the loop would run
 * from microtask to microtask, so timers (the 50 ms bulk update) and reads would wait until
 * the backlog is empty: hundreds of connections, 100–400 ms. A batch costs a few milliseconds.
 */
export const ACCEPT_BATCH = 32;

/** Lets timers and I/O run: resolves in a later turn of the event loop (not a microtask). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Accepts connections until the listener is closed and hands each over as a
 * {@linkcode TcpConnection}. Neither a failed accept nor a failure to set up or hand over one
 * connection ends the loop: that connection is closed and `onError` hears of it. After every
 * {@linkcode ACCEPT_BATCH} connections it yields to the event loop, so a flood of connections
 * never starves the server's timers and reads.
 */
export async function acceptConnections(
  listener: Deno.TcpListener,
  options: TcpConnectionOptions,
  onConnection: (connection: TcpConnection) => void,
  onError: (error: unknown) => void,
): Promise<void> {
  let batch = 0;
  for (;;) {
    if (++batch > ACCEPT_BATCH) {
      batch = 1;
      await yieldToEventLoop();
    }
    let conn: Deno.TcpConn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return; // the listener was closed
      }
      onError(error);
      continue;
    }
    let connection: TcpConnection | undefined;
    try {
      connection = new TcpConnection(conn, options);
      onConnection(connection);
    } catch (error) {
      if (connection) connection.close();
      else conn.close();
      onError(error);
    }
  }
}
