/**
 * `/api/v1`: a route per command of the command table (POST with JSON arguments; GET with
 * query arguments as well for commands that only read), history and finishes, and the
 * OpenAPI 3.1 document generated from the same routes.
 *
 * @module
 */
import {
  argsJsonSchema,
  type Command,
  CommandError,
  type CommandTable,
  MAX_TEXT_LENGTH,
} from "../admin/mod.ts";
import type { GhostServer } from "../server/server.ts";
import type { HistoryQuery, HistorySource } from "./history.ts";
import { HttpError, json, type QueryParameter, type RequestContext, type Route } from "./route.ts";

/** Where the API lives. */
export const API_PREFIX = "/api/v1";

/** Largest history page. */
export const MAX_HISTORY_LIMIT = 500;

/** The route of a command path: `["countdown", "start"]` → `/api/v1/countdown/start`. */
export function commandRoutePath(path: readonly string[]): string {
  return `${API_PREFIX}/${path.join("/")}`;
}

/** Query values as command arguments: every value is text (integers accept digit strings). */
function queryArgs(url: URL): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of url.searchParams) {
    if (Object.hasOwn(args, key)) throw new HttpError(400, `${key} is given twice`, key);
    args[key] = value;
  }
  return args;
}

/** Runs one command for a request; CommandError → 400 naming the field. */
async function runCommand(
  server: GhostServer,
  table: CommandTable,
  path: readonly string[],
  context: RequestContext,
): Promise<Response> {
  let body: unknown;
  if (context.request.method === "GET") {
    body = queryArgs(context.url);
  } else {
    body = await context.json();
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new HttpError(400, "The body must be a JSON object of arguments", "body");
    }
  }
  try {
    const invocation = table.parseJson(path, body as Record<string, unknown>);
    const output = await table.run(invocation, { server, actor: context.actor });
    return json({ ok: true, text: output.text, data: output.data ?? null });
  } catch (error) {
    if (error instanceof CommandError) throw new HttpError(400, error.message, error.field);
    throw error;
  }
}

function queryOf(command: Command): QueryParameter[] {
  const schema = argsJsonSchema(command) as {
    properties: Record<string, Record<string, unknown>>;
    required: string[];
  };
  return Object.entries(schema.properties).map(([name, property]) => ({
    name,
    required: schema.required.includes(name),
    description: String(property.description ?? ""),
    schema: property.oneOf ? { type: "string" } : property,
  }));
}

/**
 * The routes of every runnable command path, read from the table at call time so that
 * commands a plugin registers later get routes too. Paths in `taken` are skipped (a dedicated
 * route wins).
 */
export function commandRoutes(
  server: GhostServer,
  table: CommandTable,
  taken: ReadonlySet<string>,
): Route[] {
  const routes: Route[] = [];
  for (const { path, command } of table.entries()) {
    const routePath = commandRoutePath(path);
    if (taken.has(routePath)) continue;
    const common = {
      path: routePath,
      scope: command.readOnly ? "read" as const : "admin" as const,
      summary: `${command.summary} (console: ${table.usage(path, command)})`,
      tag: command.aliasOf ? "old command names" : "commands",
      deprecated: command.aliasOf !== undefined,
      responseType: "json" as const,
      handle: (context: RequestContext) => runCommand(server, table, path, context),
    };
    routes.push({ ...common, method: "POST", body: argsJsonSchema(command) });
    if (command.readOnly) routes.push({ ...common, method: "GET", query: queryOf(command) });
  }
  return routes;
}

/**
 * Resource names for the two lists bots ask for most: `GET /api/v1/players` (the `list`
 * command) and `GET /api/v1/bans` (`ban list`).
 */
export function resourceRoutes(server: GhostServer, table: CommandTable): Route[] {
  return ([["players", ["list"]], ["bans", ["ban", "list"]]] as const).map(([name, path]) => ({
    method: "GET",
    path: `${API_PREFIX}/${name}`,
    scope: "read",
    tag: "commands",
    summary: `The same as GET ${commandRoutePath(path)}`,
    responseType: "json",
    handle: (context: RequestContext) => runCommand(server, table, path, context),
  }));
}

function integerParam(url: URL, name: string, min: number, max: number): number | undefined {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  if (!/^\d{1,15}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new HttpError(400, `${name} must be a whole number from ${min} to ${max}`, name);
  }
  return Number(value);
}

function textParam(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name);
  if (value === null) return undefined;
  if (value.length === 0 || value.length > MAX_TEXT_LENGTH) {
    throw new HttpError(400, `${name} must be 1 to ${MAX_TEXT_LENGTH} characters`, name);
  }
  return value;
}

function checkQuery(url: URL, known: readonly string[]): void {
  for (const key of url.searchParams.keys()) {
    if (!known.includes(key)) {
      throw new HttpError(400, `Unknown parameter '${key}'; known: ${known.join(", ")}`, key);
    }
  }
}

/** `GET /api/v1/history` and `GET /api/v1/finishes`, over a {@linkcode HistorySource}. */
export function historyRoutes(history: HistorySource | undefined): Route[] {
  const unavailable = () => {
    throw new HttpError(503, "History is not recorded on this server");
  };
  return [
    {
      method: "GET",
      path: `${API_PREFIX}/history`,
      scope: "read",
      tag: "history",
      summary: "Recorded events, newest first, a page at a time",
      responseType: "json",
      query: [
        {
          name: "limit",
          description: `Entries per page (1–${MAX_HISTORY_LIMIT}, default 50)`,
          schema: { type: "integer", minimum: 1, maximum: MAX_HISTORY_LIMIT },
        },
        {
          name: "before",
          description: "Only entries older than this id: the `next` of the previous page",
          schema: { type: "integer", minimum: 1 },
        },
        { name: "type", description: "Only this event type", schema: { type: "string" } },
        {
          name: "actor",
          description: "Only events caused by this actor",
          schema: { type: "string" },
        },
        {
          name: "player",
          description: "Only events about this player",
          schema: { type: "string" },
        },
      ],
      async handle({ url }) {
        if (!history) return unavailable();
        checkQuery(url, ["limit", "before", "type", "actor", "player"]);
        const query: HistoryQuery = {
          limit: integerParam(url, "limit", 1, MAX_HISTORY_LIMIT) ?? 50,
        };
        const before = integerParam(url, "before", 1, Number.MAX_SAFE_INTEGER);
        if (before !== undefined) query.before = before;
        for (const key of ["type", "actor", "player"] as const) {
          const value = textParam(url, key);
          if (value !== undefined) query[key] = value;
        }
        const page = await history.history(query);
        return json({ entries: page.entries, next: page.next ?? null });
      },
    },
    {
      method: "GET",
      path: `${API_PREFIX}/finishes`,
      scope: "read",
      tag: "history",
      summary: "Finished runs, newest first, on one map or every map",
      responseType: "json",
      query: [
        { name: "map", description: "Only this map (file name)", schema: { type: "string" } },
        {
          name: "limit",
          description: `At most this many (1–${MAX_HISTORY_LIMIT}, default 50)`,
          schema: { type: "integer", minimum: 1, maximum: MAX_HISTORY_LIMIT },
        },
      ],
      async handle({ url }) {
        if (!history) return unavailable();
        checkQuery(url, ["map", "limit"]);
        const limit = integerParam(url, "limit", 1, MAX_HISTORY_LIMIT) ?? 50;
        return json({ finishes: await history.finishes(textParam(url, "map"), limit) });
      },
    },
  ];
}

const ERROR_SCHEMA = {
  type: "object",
  properties: {
    error: { type: "string", description: "What is wrong, in one line" },
    field: { type: "string", description: "The field or parameter at fault, when there is one" },
  },
  required: ["error"],
};

/** The OpenAPI 3.1 document of `routes`. */
export function openApiDocument(
  routes: readonly Route[],
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method.toLowerCase()}${
        route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) =>
          (c ?? "").toUpperCase())
      }`,
    };
    if (route.deprecated) operation.deprecated = true;
    if (route.scope === "none") operation.security = [];
    else {
      operation.security = [{ bearer: [] }];
      operation["x-scope"] = route.scope;
    }
    if (route.hoster) operation["x-hoster-compatible"] = true;
    if (route.query?.length) {
      operation.parameters = route.query.map((parameter) => ({
        in: "query",
        name: parameter.name,
        required: parameter.required ?? false,
        description: parameter.description,
        schema: parameter.schema,
      }));
    }
    if (route.body) {
      operation.requestBody = {
        required: false,
        content: { "application/json": { schema: route.body } },
      };
    }
    const ok = route.responseType === "text"
      ? { description: "Done", content: { "text/plain": { schema: { type: "string" } } } }
      : route.responseType === "prometheus"
      ? {
        description: "Prometheus text format",
        content: { "text/plain; version=0.0.4": { schema: { type: "string" } } },
      }
      : route.responseType === "websocket"
      ? { description: "Switching protocols to a WebSocket" }
      : { description: "Done", content: { "application/json": { schema: {} } } };
    const errors: Record<string, unknown> = {
      "400": {
        description: "Bad input; `field` names it",
        content: { "application/json": { schema: ERROR_SCHEMA } },
      },
    };
    if (route.scope !== "none") {
      errors["401"] = { description: "No token, or a bad one" };
      errors["403"] = { description: "The token's scope is too small" };
      errors["429"] = { description: "Too many bad tokens from this address: locked out" };
    }
    operation.responses = {
      [route.responseType === "websocket" ? "101" : "200"]: ok,
      ...errors,
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "ghosting HTTP API",
      version,
      description:
        "Every admin command as a REST operation, history, the live channel, metrics and health. Generated from the command table.",
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "A token of [[http.tokens]]" },
      },
    },
    paths,
  };
}
