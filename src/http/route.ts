/**
 * What a route is: a method and an exact path, the scope it needs, its handler and what the
 * OpenAPI document says about it.
 *
 * @module
 */
import type { HttpToken } from "../config/mod.ts";

/** HTTP methods the API uses. */
export type Method = "GET" | "POST" | "PUT" | "DELETE";

/** What a caller needs: nothing, a read token, or an admin token. */
export type RouteScope = "none" | "read" | "admin";

/** Bad input: answered 400 (or `status`) with `{ error, field? }`. */
export class HttpError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  /** The field at fault, when there is one. */
  readonly field?: string;

  constructor(status: number, message: string, field?: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    if (field !== undefined) this.field = field;
  }
}

/** One request, as a handler sees it. */
export interface RequestContext {
  request: Request;
  url: URL;
  /** The caller's IP. */
  ip: string;
  /** The token used, when the route needed one. */
  token?: HttpToken;
  /** Who acts: the token's name, or `"hoster"` on hoster routes without a token. */
  actor: string;
  /** The body as JSON (`{}` when empty), read at most once. @throws {HttpError} */
  json(): Promise<unknown>;
}

/** A query parameter, for the OpenAPI document. */
export interface QueryParameter {
  name: string;
  required?: boolean;
  description: string;
  schema: Record<string, unknown>;
}

/** One method on one path. */
export interface Route {
  method: Method;
  /** Exact path, e.g. `/api/v1/kick`. */
  path: string;
  scope: RouteScope;
  /** A route of the hoster's per-server app: works without a token when configured so. */
  hoster?: boolean;
  /** One line for the OpenAPI document. */
  summary: string;
  /** A grouping for the OpenAPI document. */
  tag: string;
  /** JSON Schema of the body, for the OpenAPI document. */
  body?: Record<string, unknown>;
  /** Query parameters, for the OpenAPI document. */
  query?: readonly QueryParameter[];
  /** What a successful answer is, for the OpenAPI document. */
  responseType?: "json" | "text" | "prometheus" | "websocket";
  /** Old name of another route (the command table's aliases). */
  deprecated?: boolean;
  handle(context: RequestContext): Response | Promise<Response>;
}

/** A JSON answer. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** A plain-text answer, as the hoster's app sends. */
export function text(body: string, status = 200): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
