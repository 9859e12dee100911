/**
 * Live channel viewers for `--viewers N`: WebSockets to the spawned server's HTTP API, each
 * subscribed to positions, counting what they receive (without parsing it, so that the
 * generator spends little on them).
 *
 * @module
 */

/** What the viewers received in the measured window. */
export interface ViewersSummary {
  viewers: number;
  /** Viewers that still received positions in the last second of the window. */
  connectedAtEnd: number;
  /** Position messages per viewer per second: the lowest and the mean. */
  positionsPerSecondMin: number | null;
  positionsPerSecondMean: number | null;
  /** Bytes of every message to every viewer, per second. */
  bytesPerSecond: number;
}

interface Viewer {
  socket: WebSocket;
  /** `performance.now()` of each positions message. */
  positions: number[];
  /** `[performance.now(), bytes]` of each message. */
  bytes: [number, number][];
}

const POSITIONS_PREFIX = '{"type":"positions"';

/** N viewers of one server. */
export class LiveViewers {
  readonly #viewers: Viewer[];

  private constructor(viewers: Viewer[]) {
    this.#viewers = viewers;
  }

  /**
   * Opens `count` viewers on `url`, says hello with `token` and subscribes each to positions.
   *
   * @throws {Error} when one cannot connect or authenticate within `timeoutMs`
   */
  static async open(
    url: string,
    token: string,
    count: number,
    timeoutMs: number,
  ): Promise<LiveViewers> {
    const viewers: Viewer[] = [];
    const opened = new LiveViewers(viewers);
    try {
      for (let i = 0; i < count; i++) {
        const socket = new WebSocket(url);
        const viewer: Viewer = { socket, positions: [], bytes: [] };
        viewers.push(viewer);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`viewer ${i + 1} got no ok`)), timeoutMs);
          socket.onerror = () => reject(new Error(`viewer ${i + 1} could not connect to ${url}`));
          socket.onopen = () =>
            socket.send(JSON.stringify({ type: "hello", token, positions: true }));
          socket.onmessage = (event) => {
            const text = event.data as string;
            if (text.startsWith('{"type":"ok"')) {
              clearTimeout(timer);
              resolve();
            } else if (text.startsWith('{"type":"error"')) {
              clearTimeout(timer);
              reject(new Error(`viewer ${i + 1} refused: ${text}`));
            }
          };
        });
        socket.onmessage = (event) => {
          const text = event.data as string;
          const now = performance.now();
          viewer.bytes.push([now, text.length]);
          if (text.startsWith(POSITIONS_PREFIX)) viewer.positions.push(now);
        };
      }
    } catch (error) {
      await opened.close();
      throw error;
    }
    return opened;
  }

  /** What arrived between `opened` and `closed` (`performance.now()` times). */
  summary(opened: number, closed: number): ViewersSummary {
    const seconds = (closed - opened) / 1000;
    const inWindow = (time: number) => time >= opened && time < closed;
    const rates = this.#viewers.map((v) => v.positions.filter(inWindow).length / seconds);
    let bytes = 0;
    for (const viewer of this.#viewers) {
      for (const [time, n] of viewer.bytes) if (inWindow(time)) bytes += n;
    }
    return {
      viewers: this.#viewers.length,
      connectedAtEnd:
        this.#viewers.filter((v) =>
          v.positions.some((time) => time >= closed - 1000 && time < closed)
        ).length,
      positionsPerSecondMin: rates.length ? Math.min(...rates) : null,
      positionsPerSecondMean: rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null,
      bytesPerSecond: bytes / seconds,
    };
  }

  /** Closes every viewer and waits for the closes. */
  async close(): Promise<void> {
    await Promise.all(this.#viewers.map(({ socket }) => {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise<void>((resolve) =>
        socket.addEventListener("close", () => resolve())
      );
      socket.close();
      return closed;
    }));
  }
}
