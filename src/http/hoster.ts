/**
 * Routes compatible with the per-server app of p2sr's ghost server hoster: the small HTTP app
 * in each container that the hosting panel forwards its requests to. Same methods, paths,
 * bodies and answers (plain text for actions, JSON for reads); `POST` is accepted wherever the
 * app used `PUT` for an action. Every action runs a command of the command table.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { CommandError, type CommandTable, type Invocation } from "../admin/mod.ts";
import type { GhostServer } from "../server/server.ts";
import { HttpError, json, type Method, type RequestContext, type Route, text } from "./route.ts";

const log = getLogger(["ghosting", "http", "hoster"]);

/** The settings object of the hoster's app. */
export interface HosterSettings {
  countdownDuration: number;
  preCountdownCommands: string;
  postCountdownCommands: string;
  acceptingPlayers: boolean;
  acceptingSpectators: boolean;
}

const SETTINGS_SCHEMA = {
  type: "object",
  properties: {
    countdownDuration: { type: "integer", minimum: 0, maximum: 60 },
    preCountdownCommands: { type: "string", description: "An empty string clears them" },
    postCountdownCommands: { type: "string", description: "An empty string clears them" },
    acceptingPlayers: { type: "boolean" },
    acceptingSpectators: { type: "boolean" },
  },
};

const PLAYER_SCHEMA = {
  type: "object",
  description: "Exactly one of id or name",
  properties: { id: { type: "integer" }, name: { type: "string" } },
};

const ENTRY_SCHEMA = {
  type: "object",
  description: "Exactly one of name or ip",
  properties: { name: { type: "string" }, ip: { type: "string" } },
};

/** The hoster app's settings, read from the server. */
export function hosterSettings(server: GhostServer): HosterSettings {
  const countdown = server.countdownSettings();
  const accepting = server.accepting();
  return {
    countdownDuration: countdown.delay,
    preCountdownCommands: countdown.preCommands,
    postCountdownCommands: countdown.postCommands,
    acceptingPlayers: accepting.players,
    acceptingSpectators: accepting.spectators,
  };
}

async function object(context: RequestContext): Promise<Record<string, unknown>> {
  const body = await context.json();
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "The body must be a JSON object", "body");
  }
  return body as Record<string, unknown>;
}

/** Parses a call, turning bad input into a 400 that names the hoster's field. */
function parse(
  table: CommandTable,
  path: string[],
  args: Record<string, unknown>,
  field: string,
): Invocation {
  try {
    return table.parseJson(path, args);
  } catch (error) {
    if (error instanceof CommandError) throw new HttpError(400, error.message, field);
    throw error;
  }
}

/** The hoster-compatible routes. */
export function hosterRoutes(server: GhostServer, table: CommandTable): Route[] {
  const run = async (context: RequestContext, invocations: Invocation[], field?: string) => {
    for (const invocation of invocations) {
      try {
        await table.run(invocation, { server, actor: context.actor });
      } catch (error) {
        if (error instanceof CommandError) throw new HttpError(400, error.message, field);
        throw error;
      }
    }
  };

  /** `{id}` or `{name}`, as the app's ban and disconnect take. */
  const player = async (context: RequestContext) => {
    const body = await object(context);
    if ("id" in body) {
      const id = typeof body.id === "string" && /^\d+$/.test(body.id) ? Number(body.id) : body.id;
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
        throw new HttpError(400, "id must be a player id (a whole number)", "id");
      }
      return { label: `id ${id}`, selector: { id } };
    }
    if ("name" in body) {
      if (typeof body.name !== "string" || body.name === "") {
        throw new HttpError(400, "name must be a non-empty string", "name");
      }
      return { label: `name ${body.name}`, selector: { name: body.name } };
    }
    throw new HttpError(400, "Please specify either 'id' or 'name'", "id");
  };

  /** `{name}` or `{ip}`, as the app's whitelist routes take. */
  const entry = async (context: RequestContext) => {
    const body = await object(context);
    for (const kind of ["name", "ip"] as const) {
      if (!(kind in body)) continue;
      const value = body[kind];
      if (typeof value !== "string" || value === "") {
        throw new HttpError(400, `${kind} must be a non-empty string`, kind);
      }
      return { kind, value };
    }
    throw new HttpError(400, "Please specify either 'name' or 'ip'", "name");
  };

  const action = (
    path: string,
    summary: string,
    handle: Route["handle"],
    extra: Partial<Route> = {},
  ): Route[] =>
    (["PUT", "POST"] as Method[]).map((method) => ({
      method,
      path,
      scope: "admin",
      hoster: true,
      tag: "hoster-compatible",
      summary,
      responseType: "text",
      handle,
      ...extra,
    }));

  return [
    {
      method: "GET",
      path: "/listPlayers",
      scope: "read",
      hoster: true,
      tag: "hoster-compatible",
      summary: "Connected clients as [{id, name, isSpectator}]",
      responseType: "json",
      handle: () =>
        json(server.clients().map((c) => ({ id: c.id, name: c.name, isSpectator: c.spectator }))),
    },
    {
      method: "GET",
      path: "/settings",
      scope: "read",
      hoster: true,
      tag: "hoster-compatible",
      summary: "Countdown settings and whether players and spectators are accepted",
      responseType: "json",
      handle: () => json(hosterSettings(server)),
    },
    ...action(
      "/settings",
      "Change any of the settings; an absent field is kept, an empty string clears the commands",
      async (context) => {
        const body = await object(context);
        const current = hosterSettings(server);
        const next = { ...current };
        for (const key of Object.keys(SETTINGS_SCHEMA.properties) as (keyof HosterSettings)[]) {
          const value = body[key];
          if (value === undefined) continue;
          const expected = key === "countdownDuration"
            ? "number"
            : key.startsWith("accepting")
            ? "boolean"
            : "string";
          const actual = typeof value;
          if (actual !== expected) {
            throw new HttpError(400, `${key} must be a ${expected}`, key);
          }
          (next as Record<string, unknown>)[key] = value;
        }
        // Every field is checked before anything changes.
        let countdown: Invocation;
        try {
          countdown = table.parseJson(["countdown_set"], {
            pre: next.preCountdownCommands,
            post: next.postCountdownCommands,
            seconds: next.countdownDuration,
          });
        } catch (error) {
          if (!(error instanceof CommandError)) throw error;
          const field = { pre: "preCountdownCommands", post: "postCountdownCommands" }[
            error.field as "pre" | "post"
          ] ?? "countdownDuration";
          throw new HttpError(400, error.message.replace(/^(pre|post|seconds)\b/, field), field);
        }
        const calls: Invocation[] = [countdown];
        if (next.acceptingPlayers !== current.acceptingPlayers) {
          calls.push(
            parse(
              table,
              [next.acceptingPlayers ? "accept" : "refuse"],
              { who: "players" },
              "acceptingPlayers",
            ),
          );
        }
        if (next.acceptingSpectators !== current.acceptingSpectators) {
          calls.push(
            parse(
              table,
              [next.acceptingSpectators ? "accept" : "refuse"],
              { who: "spectators" },
              "acceptingSpectators",
            ),
          );
        }
        await run(context, calls);
        return text("Settings updated!");
      },
      { body: SETTINGS_SCHEMA },
    ),
    ...action("/startCountdown", "Start a countdown with the stored settings", async (context) => {
      await run(context, [parse(table, ["countdown"], {}, "countdownDuration")]);
      return text("Countdown started");
    }),
    ...action("/serverMessage", "Send ?message=… to everyone", async (context) => {
      const message = context.url.searchParams.get("message");
      if (message === null) throw new HttpError(400, "Please specify a message", "message");
      await run(context, [parse(table, ["say"], { message }, "message")], "message");
      return text("");
    }, {
      query: [{
        name: "message",
        required: true,
        description: "The text, shown as SERVER: <text>",
        schema: { type: "string" },
      }],
    }),
    ...action("/disconnectPlayer", "Disconnect a player by {id} or {name}", async (context) => {
      const { label, selector } = await player(context);
      await run(
        context,
        [parse(table, ["kick"], { player: selector }, "id")],
        "id" in selector ? "id" : "name",
      );
      return text(`Player with ${label} disconnected!`);
    }, { body: PLAYER_SCHEMA }),
    ...action("/banPlayer", "Ban a player's IP by {id} or {name}", async (context) => {
      const { label, selector } = await player(context);
      await run(
        context,
        [parse(table, ["ban"], { player: selector }, "id")],
        "id" in selector ? "id" : "name",
      );
      return text(`Player with ${label} banned!`);
    }, { body: PLAYER_SCHEMA }),
    {
      method: "GET",
      path: "/whitelist",
      scope: "read",
      hoster: true,
      tag: "hoster-compatible",
      summary: "The whitelist as {enabled, entries: [{type, value}]}",
      responseType: "json",
      handle() {
        const { enabled, names, ips } = server.whitelist();
        return json({
          enabled,
          entries: [
            ...names.map((value) => ({ type: "name", value })),
            ...ips.map((value) => ({ type: "ip", value })),
          ],
        });
      },
    },
    ...action("/whitelist", "Add {name} or {ip} to the whitelist", async (context) => {
      const { kind, value } = await entry(context);
      await run(context, [parse(table, ["whitelist", "add"], { kind, value }, kind)], kind);
      return text(`${value} added to whitelist!`);
    }, { body: ENTRY_SCHEMA }),
    {
      method: "DELETE",
      path: "/whitelist",
      scope: "admin",
      hoster: true,
      tag: "hoster-compatible",
      summary: "Remove {name} or {ip} from the whitelist",
      responseType: "text",
      body: ENTRY_SCHEMA,
      async handle(context) {
        const { kind, value } = await entry(context);
        await run(context, [parse(table, ["whitelist", "remove"], { kind, value }, kind)], kind);
        return text(`${value} removed from whitelist!`);
      },
    },
    ...action(
      "/whitelist/status",
      "Turn the whitelist on or off with {enabled}",
      async (context) => {
        const body = await object(context);
        if (!("enabled" in body)) {
          throw new HttpError(
            400,
            "Please provide enabled key.",
            "enabled",
          );
        }
        if (typeof body.enabled !== "boolean") {
          throw new HttpError(400, "enabled must be true or false", "enabled");
        }
        await run(context, [
          parse(table, ["whitelist", body.enabled ? "on" : "off"], {}, "enabled"),
        ]);
        return text("");
      },
      {
        body: {
          type: "object",
          properties: { enabled: { type: "boolean" } },
          required: ["enabled"],
        },
      },
    ),
    {
      method: "GET",
      path: "/startServer",
      scope: "admin",
      hoster: true,
      tag: "hoster-compatible",
      summary: "The server starts with the process: answers whether it runs",
      responseType: "text",
      handle() {
        if (!server.running) {
          throw new HttpError(
            409,
            "The ghost server has stopped; restart the process to start it again",
          );
        }
        return text("Ghost server started!");
      },
    },
    {
      method: "GET",
      path: "/stopServer",
      scope: "admin",
      hoster: true,
      tag: "hoster-compatible",
      summary: "Stop the ghost server (the process exits, as the app's did)",
      responseType: "text",
      handle(context) {
        const stop = parse(table, ["stop"], {}, "body");
        // Answer first: a graceful stop takes up to a few seconds and ends this process.
        table.run(stop, { server, actor: context.actor }).catch((error) =>
          log.error("Stopping from {actor} failed: {error}", { actor: context.actor, error })
        );
        return text("Ghost server stopped!");
      },
    },
  ];
}
