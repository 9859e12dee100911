/**
 * The HTTP listener: routing, token checks, the lockout, the body cap, error answers, static
 * files, and the WebSocket upgrade of the live channel.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { CommandTable } from "../admin/mod.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { HttpToken } from "../config/mod.ts";
import type { GhostServer } from "../server/server.ts";
import {
  API_PREFIX,
  commandRoutes,
  historyRoutes,
  openApiDocument,
  resourceRoutes,
} from "./api.ts";
import { allows, lockedOutMessage, Lockout, TokenStore } from "./auth.ts";
import type { HistorySource } from "./history.ts";
import { hosterRoutes } from "./hoster.ts";
import { LiveChannel } from "./live.ts";
import { Metrics } from "./metrics.ts";
import { HttpError, json, type RequestContext, type Route } from "./route.ts";
import { serveStatic } from "./static_files.ts";

const log = getLogger(["ghosting", "http"]);

/**
 * Largest request body accepted; a larger one is answered 413.
 *
 * @example
 * ```ts
 * import { MAX_BODY_BYTES } from "@ghosting/server";
 *
 * console.log(MAX_BODY_BYTES); // 65536
 * ```
 */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * A loop this many milliseconds overdue makes `/health` answer 503.
 *
 * @example
 * ```ts
 * import { HEALTH_STALL_MS, type ServerStatus } from "@ghosting/server";
 *
 * const healthy = (status: ServerStatus) =>
 *   status.state === "running" && status.loopStallMs <= HEALTH_STALL_MS;
 * console.log(typeof healthy);
 * ```
 */
export const HEALTH_STALL_MS = 1000;

/**
 * Settings of an {@linkcode HttpApi}.
 *
 * @example
 * ```ts
 * import type { HttpApiOptions } from "@ghosting/server";
 *
 * const options: HttpApiOptions = {
 *   port: 0,
 *   tokens: [{ name: "bot", token: "0123456789abcdef", scope: "admin" }],
 * };
 * console.log(options.port);
 * ```
 */
export interface HttpApiOptions {
  /** Address to listen on. Default `"127.0.0.1"`. */
  hostname?: string;
  /** Port; 0 picks a free one. Default 53080. */
  port?: number;
  /** Who may use the API. */
  tokens?: readonly HttpToken[];
  /** Position messages per second on the live channel. Default 10. */
  livePositionHz?: number;
  /** Let the hoster-compatible routes work without a token. Default false. */
  hosterRoutesWithoutToken?: boolean;
  /** Where `/api/v1/history` and `/api/v1/finishes` read. Without it they answer 503. */
  history?: HistorySource;
  /** Static files served at `/` (the dashboard); nothing is served there when absent. */
  staticDir?: URL;
  /** Time source of the lockout, the live channel's timers and health; tests pass a `ManualClock`. */
  clock?: Clock;
  /** Version shown in the OpenAPI document. */
  version?: string;
}

/**
 * The HTTP admin API, hoster-compatible routes, live channel, metrics and health of one
 * {@linkcode GhostServer}, over a {@linkcode CommandTable}. It only calls the server's public
 * API and the table's commands.
 *
 * @example
 * ```ts
 * import { createCommandTable, GhostServer, HttpApi } from "@ghosting/server";
 *
 * const server = new GhostServer({ port: 0 });
 * await server.start();
 * const http = new HttpApi(server, createCommandTable(), {
 *   port: 0,
 *   tokens: [{ name: "bot", token: "0123456789abcdef", scope: "admin" }],
 * });
 * const { port } = http.start();
 * const response = await fetch(`http://127.0.0.1:${port}/api/v1/status`, {
 *   headers: { authorization: "Bearer 0123456789abcdef" },
 * });
 * console.log((await response.json()).data.state); // running
 * await http.stop();
 * await server.stop();
 * ```
 */
export class HttpApi {
  readonly #server: GhostServer;
  readonly #table: CommandTable;
  readonly #options: Required<Omit<HttpApiOptions, "history" | "staticDir" | "tokens">>;
  readonly #history: HistorySource | undefined;
  #stopping: Promise<void> | undefined;
  readonly #staticDir: URL | undefined;
  readonly #tokens: TokenStore;
  readonly #lockout: Lockout;
  readonly #live: LiveChannel;
  readonly #metrics: Metrics;
  readonly #fixedRoutes: Route[];
  #routeCache: { revision: number; routes: Route[] } | undefined;
  #listener: Deno.HttpServer<Deno.NetAddr> | undefined;

  /**
   * Prepares the API; nothing listens until {@linkcode HttpApi.start}.
   *
   * @throws {RangeError} for a position rate outside 1–20
   */
  constructor(server: GhostServer, commands: CommandTable, options: HttpApiOptions = {}) {
    this.#server = server;
    this.#table = commands;
    this.#options = {
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 53080,
      livePositionHz: options.livePositionHz ?? 10,
      hosterRoutesWithoutToken: options.hosterRoutesWithoutToken ?? false,
      clock: options.clock ?? systemClock,
      version: options.version ?? "0",
    };
    const hz = this.#options.livePositionHz;
    if (!Number.isInteger(hz) || hz < 1 || hz > 20) {
      throw new RangeError(`livePositionHz must be a whole number from 1 to 20, got ${hz}`);
    }
    this.#history = options.history;
    this.#staticDir = options.staticDir;
    this.#tokens = new TokenStore(options.tokens ?? []);
    this.#lockout = new Lockout(this.#options.clock);
    this.#metrics = new Metrics(server);
    this.#live = new LiveChannel({
      server,
      commands,
      clock: this.#options.clock,
      positionHz: hz,
      tokens: this.#tokens,
      lockout: this.#lockout,
    });
    this.#fixedRoutes = this.#makeFixedRoutes();
  }

  /** Authenticated live channel viewers now. */
  get viewers(): number {
    return this.#live.viewers;
  }

  /** Live viewers subscribed to positions now. */
  get positionSubscribers(): number {
    return this.#live.positionSubscribers;
  }

  /** Position messages encoded so far (one per tick while anyone is subscribed). */
  get positionsEncoded(): number {
    return this.#live.positionsEncoded;
  }

  /** Starts listening. @throws {Deno.errors.AddrInUse} and other listen errors */
  start(): { hostname: string; port: number } {
    if (this.#listener) throw new Error("The HTTP API is already started");
    this.#listener = Deno.serve({
      hostname: this.#options.hostname,
      port: this.#options.port,
      onListen: () => {},
      onError: (error) => {
        log.error("HTTP request failed: {error}", { error });
        return json({ error: "Internal server error" }, 500);
      },
    }, (request, info) => this.handle(request, info.remoteAddr.hostname));
    const { hostname, port } = this.#listener.addr;
    log.info("HTTP API listening on http://{hostname}:{port} (dashboard at /)", { hostname, port });
    return { hostname, port };
  }

  /**
   * Closes every live viewer and the listener; resolves when requests in flight are done. A
   * second call resolves with the first (so a caller can wait for it before closing what
   * requests read, such as the database).
   */
  stop(): Promise<void> {
    const listener = this.#listener;
    if (!listener) return this.#stopping ?? Promise.resolve();
    this.#listener = undefined;
    this.#live.close();
    this.#metrics.close();
    this.#stopping = listener.shutdown();
    return this.#stopping;
  }

  /**
   * Every route: the fixed ones and one or two per command of the table, read now (so a
   * plugin's command gets routes as soon as it is registered).
   */
  routes(): { method: string; path: string; scope: string; hoster: boolean }[] {
    return this.#routes().map(({ method, path, scope, hoster }) => ({
      method,
      path,
      scope,
      hoster: hoster ?? false,
    }));
  }

  /** The routes, derived from the command table again only when a command came or went. */
  #routes(): Route[] {
    if (this.#routeCache?.revision !== this.#table.revision) {
      const taken = new Set(this.#fixedRoutes.map((route) => route.path));
      this.#routeCache = {
        revision: this.#table.revision,
        routes: [...this.#fixedRoutes, ...commandRoutes(this.#server, this.#table, taken)],
      };
    }
    return this.#routeCache.routes;
  }

  /** Answers one request from `ip` (what `Deno.serve` calls). */
  async handle(request: Request, ip: string): Promise<Response> {
    const url = new URL(request.url);
    const method = request.method.toUpperCase();
    let routeLabel = "(none)";
    let response: Response;
    try {
      const routes = this.#routes().filter((route) => route.path === url.pathname);
      const route = routes.find((r) =>
        r.method === method || (method === "HEAD" && r.method === "GET")
      );
      if (route) {
        routeLabel = route.path;
        response = await this.#run(route, request, url, ip);
      } else if (routes.length > 0) {
        routeLabel = url.pathname;
        const allow = [...new Set(routes.map((r) => r.method))].join(", ");
        response = json({ error: `Use ${allow} for ${url.pathname}` }, 405, { allow });
      } else {
        const file = this.#staticDir && (method === "GET" || method === "HEAD")
          ? await serveStatic(this.#staticDir, url.pathname)
          : undefined;
        routeLabel = file ? "(static)" : "(unknown)";
        response = file ?? json({ error: `No route ${url.pathname}` }, 404);
      }
    } catch (error) {
      if (error instanceof HttpError) {
        response = json(
          error.field === undefined
            ? { error: error.message }
            : { error: error.message, field: error.field },
          error.status,
        );
      } else {
        log.error("{method} {path} failed: {error}", { method, path: url.pathname, error });
        response = json({ error: "Internal server error; the server log has the details" }, 500);
      }
    }
    this.#metrics.request(routeLabel, method, response.status);
    return response;
  }

  async #run(route: Route, request: Request, url: URL, ip: string): Promise<Response> {
    const context: RequestContext = {
      request,
      url,
      ip,
      actor: "api",
      json: () => readJson(request),
    };
    const denied = this.#authorize(route, request, context);
    if (denied) return denied;
    return await route.handle(context);
  }

  /** Checks the token a route needs; a Response when the request may not go on. */
  #authorize(route: Route, request: Request, context: RequestContext): Response | undefined {
    if (route.scope === "none") return undefined;
    if (route.hoster && this.#options.hosterRoutesWithoutToken) {
      // No token needed; one that is sent and good still names the actor.
      const sent = bearerSecret(request);
      const token = sent === undefined ? undefined : this.#tokens.find(sent);
      context.actor = token?.name ?? "hoster";
      return undefined;
    }
    const locked = this.#lockout.lockedFor(context.ip);
    if (locked > 0) return this.#lockedOut(locked);
    const sent = bearerSecret(request);
    const unauthorized = (error: string) =>
      json({ error }, 401, { "www-authenticate": 'Bearer realm="ghosting"' });
    if (sent === undefined) {
      return unauthorized("This route needs a token: Authorization: Bearer <token>");
    }
    const token = this.#tokens.find(sent);
    if (!token) {
      if (this.#lockout.fail(context.ip)) {
        return this.#lockedOut(this.#lockout.lockedFor(context.ip));
      }
      return unauthorized("Bad token");
    }
    if (!allows(token.scope, route.scope)) {
      return json({
        error: `This route needs an ${route.scope} token; ${token.name} is ${token.scope}`,
      }, 403);
    }
    context.token = token;
    context.actor = token.name;
    return undefined;
  }

  #lockedOut(ms: number): Response {
    const seconds = Math.ceil(ms / 1000);
    return json(
      { error: lockedOutMessage(ms) },
      429,
      { "retry-after": String(seconds) },
    );
  }

  #makeFixedRoutes(): Route[] {
    const server = this.#server;
    const routes: Route[] = [
      {
        method: "GET",
        path: "/health",
        scope: "none",
        tag: "monitoring",
        summary: "200 while the server's loops run; 503 when one has stalled for over a second",
        responseType: "json",
        handle: () => {
          const status = server.status();
          const healthy = status.state === "running" && status.loopStallMs <= HEALTH_STALL_MS;
          return json({
            status: healthy ? "ok" : status.state === "running" ? "stalled" : status.state,
            state: status.state,
            uptimeMs: status.uptimeMs,
            players: status.players,
            spectators: status.spectators,
            loopStallMs: status.loopStallMs,
            tickLateness: status.tickLateness,
          }, healthy ? 200 : 503);
        },
      },
      {
        method: "GET",
        path: "/metrics",
        scope: "read",
        tag: "monitoring",
        summary: "Prometheus metrics",
        responseType: "prometheus",
        handle: () =>
          new Response(
            this.#metrics.render({
              viewers: () => this.#live.viewers,
              slowViewers: () => this.#live.slowDisconnects,
            }),
            { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } },
          ),
      },
      {
        method: "GET",
        path: `${API_PREFIX}/openapi.json`,
        scope: "none",
        tag: "api",
        summary: "This document",
        responseType: "json",
        handle: () => json(openApiDocument(this.#routes(), this.#options.version)),
      },
      {
        method: "GET",
        path: `${API_PREFIX}/live`,
        scope: "none",
        tag: "live",
        summary:
          'The live channel (WebSocket): send {"type": "hello", "token": "…"} first; see the README',
        responseType: "websocket",
        handle: (context) => this.#upgrade(context),
      },
      ...historyRoutes(this.#history),
      ...resourceRoutes(server, this.#table, this.#history),
      ...hosterRoutes(server, this.#table),
    ];
    return routes;
  }

  #upgrade(context: RequestContext): Response {
    if (context.request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      throw new HttpError(
        400,
        "This is a WebSocket endpoint: connect with a WebSocket client",
        "upgrade",
      );
    }
    const locked = this.#lockout.lockedFor(context.ip);
    if (locked > 0) return this.#lockedOut(locked);
    if (this.#live.full) {
      throw new HttpError(503, "Too many live viewers; try again later");
    }
    let upgrade: Deno.WebSocketUpgrade;
    try {
      upgrade = Deno.upgradeWebSocket(context.request);
    } catch (error) {
      // A malformed handshake (no key, wrong version) is the client's mistake, not a bug.
      throw new HttpError(
        400,
        `Not a valid WebSocket handshake: ${(error as Error).message}`,
        "upgrade",
      );
    }
    this.#live.accept(upgrade.socket, context.ip);
    return upgrade.response;
  }
}

/** The secret of an `Authorization: Bearer <secret>` header, or undefined without one. */
function bearerSecret(request: Request): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(request.headers.get("authorization") ?? "")?.[1];
}

/** Reads a JSON body of at most {@linkcode MAX_BODY_BYTES}; `{}` when empty. */
async function readJson(request: Request): Promise<unknown> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_BODY_BYTES) {
    throw new HttpError(413, `The body is larger than ${MAX_BODY_BYTES} bytes`, "body");
  }
  if (!request.body) return {};
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new HttpError(413, `The body is larger than ${MAX_BODY_BYTES} bytes`, "body");
    }
    chunks.push(value);
  }
  if (total === 0) return {};
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, "The body must be JSON", "body");
  }
}
