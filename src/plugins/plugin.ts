/**
 * The plugin API: the {@linkcode Plugin} base class, the {@linkcode command} and
 * {@linkcode on} decorators (TC39 standard decorators), the {@linkcode ServerEvent} names and
 * the types a handler receives. Nothing here opens a socket or needs an unstable flag: the
 * server attaches a runtime to each plugin it loads.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { Color, Vec3 } from "../protocol/types.ts";
import type { DisconnectReason } from "../server/reasons.ts";
import { parseSignature, type Signature } from "./signature.ts";

/**
 * The logger of a plugin (`this.log`): a logtape logger named `["ghosting", "plugin", name]`,
 * typed by the methods a plugin needs. Messages are templates: `{key}` is replaced by the
 * property `key`.
 *
 * @example
 * ```ts
 * import type { PluginLogger } from "@ghosting/server/plugin";
 *
 * function report(log: PluginLogger, name: string) {
 *   log.info("{name} finished", { name });
 * }
 * ```
 */
export interface PluginLogger {
  /** Detail for debugging. */
  debug(message: string, properties?: Record<string, unknown>): void;
  /** Something happened. */
  info(message: string, properties?: Record<string, unknown>): void;
  /** Something looks wrong. */
  warn(message: string, properties?: Record<string, unknown>): void;
  /** Something failed. */
  error(message: string, properties?: Record<string, unknown>): void;
}

/**
 * A connected client as a plugin sees it: a read-only snapshot taken when the command or
 * event happened.
 *
 * @example
 * ```ts
 * import type { IClient } from "@ghosting/server/plugin";
 *
 * const describe = (c: IClient) =>
 *   `#${c.id} ${c.name}${c.spectator ? " (spectator)" : ""} on ${c.map || "the menu"}`;
 * ```
 */
export interface IClient {
  /** The id the server assigned. */
  readonly id: number;
  /** The name sent in CONNECT. */
  readonly name: string;
  /** The TCP peer's IP address. */
  readonly ip: string;
  /** The current map; "" in the menu. */
  readonly map: string;
  /** The ghost model. */
  readonly model: string;
  /** The ghost colour. */
  readonly color: Readonly<Color>;
  /** Whether it joined as a spectator. */
  readonly spectator: boolean;
  /** Whether it asked for everything over TCP. */
  readonly tcpOnly: boolean;
  /** The latest position, in world units. */
  readonly position: Readonly<Vec3>;
}

/**
 * A player that is connecting: what its CONNECT said, before it has an id.
 *
 * @example
 * ```ts
 * import type { IConnectingClient } from "@ghosting/server/plugin";
 *
 * const isGuest = (c: IConnectingClient) => c.name.toLowerCase().startsWith("guest");
 * ```
 */
export interface IConnectingClient {
  /** The TCP peer's IP address. */
  readonly ip: string;
  /** The name sent in CONNECT. */
  readonly name: string;
  /** Whether it joins as a spectator. */
  readonly spectator: boolean;
  /** Whether it asked for everything over TCP. */
  readonly tcpOnly: boolean;
  /** The map it is on. */
  readonly map: string;
  /** Its ghost model. */
  readonly model: string;
  /** Its ghost colour. */
  readonly color: Readonly<Color>;
}

/**
 * The names of the events a plugin can handle with {@linkcode on}.
 *
 * @example
 * ```ts
 * import { ServerEvent } from "@ghosting/server/plugin";
 *
 * console.log(ServerEvent.ClientMessage); // "clientMessage"
 * ```
 */
export const ServerEvent = {
  /** A player is connecting; a handler may refuse it (return `{ refuse: reason }`). */
  ClientConnecting: "clientConnecting",
  /** A client was accepted. */
  ClientConnected: "clientConnected",
  /** A client left, with a reason code. */
  ClientDisconnected: "clientDisconnected",
  /** A chat line, before it is relayed; a handler may drop (`{ drop: true }`) or rewrite (`{ text }`) it. */
  ClientMessage: "clientMessage",
  /** A client loaded a map. */
  MapChange: "mapChange",
  /** A client's speedrun timer finished. */
  SpeedrunFinish: "speedrunFinish",
  /** A client changed its ghost model. */
  ModelChange: "modelChange",
  /** A client changed its ghost colour. */
  ColorChange: "colorChange",
  /** A client taunted. */
  Taunt: "taunt",
  /** A client pinged a surface. */
  Locator: "locator",
  /** A countdown was sent to every client. */
  CountdownStart: "countdownStart",
  /** A client confirmed the countdown and was sent "go". */
  CountdownGo: "countdownGo",
  /** An IP was banned. */
  Ban: "ban",
  /** A ban was lifted. */
  Unban: "unban",
  /** The whitelist was turned on or off, or changed. */
  WhitelistChange: "whitelistChange",
  /** Whether players or spectators are accepted changed. */
  AcceptingChange: "acceptingChange",
  /** The server is listening. */
  ServerStart: "serverStart",
  /** The server stopped. */
  ServerStop: "serverStop",
} as const;

/**
 * One of the {@linkcode ServerEvent} names.
 *
 * @example
 * ```ts
 * import { ServerEvent, type ServerEventName } from "@ghosting/server/plugin";
 *
 * const watched: ServerEventName[] = [ServerEvent.ClientConnected, ServerEvent.ClientDisconnected];
 * ```
 */
export type ServerEventName = typeof ServerEvent[keyof typeof ServerEvent];

/**
 * What a `ClientConnecting` handler may answer: `{ refuse: reason }` refuses the player, who
 * reads the reason.
 *
 * @example
 * ```ts
 * import type { ConnectingVerdict } from "@ghosting/server/plugin";
 *
 * const verdict: ConnectingVerdict = { refuse: "Register at example.com first" };
 * ```
 */
export type ConnectingVerdict = { refuse: string } | undefined | void;

/**
 * What a `ClientMessage` handler may answer: `{ drop: true }` swallows the line, `{ text }`
 * rewrites it.
 *
 * @example
 * ```ts
 * import type { MessageVerdict } from "@ghosting/server/plugin";
 *
 * const verdict: MessageVerdict = { text: "(filtered)" };
 * ```
 */
export type MessageVerdict = { drop: true } | { text: string } | undefined | void;

/**
 * Each event's data as a typed object (the last argument of every handler), its positional
 * arguments (the first ones, as the original README's plugins used them) and what a handler
 * may return.
 *
 * @example
 * ```ts
 * import { on, Plugin, ServerEvent, type ServerEvents } from "@ghosting/server/plugin";
 *
 * export class Farewell extends Plugin {
 *   name = "farewell";
 *   version = "1.0.0";
 *   authors = ["you"];
 *   license = "MIT";
 *
 *   @on(ServerEvent.ClientDisconnected)
 *   onLeave(_client: unknown, _reason: unknown, event: ServerEvents["clientDisconnected"]["data"]) {
 *     if (event.reason === "heartbeat_timeout") this.broadcast(`${event.client.name} timed out`);
 *   }
 * }
 * ```
 */
export interface ServerEvents {
  /** A player is connecting. */
  clientConnecting: {
    data: { client: IConnectingClient };
    args: [client: IConnectingClient];
    result: ConnectingVerdict;
  };
  /** A client was accepted. */
  clientConnected: { data: { client: IClient }; args: [client: IClient]; result: void };
  /** A client left; `actor` is set when an admin removed it. */
  clientDisconnected: {
    data: { client: IClient; reason: DisconnectReason; actor?: string };
    args: [client: IClient, reason: DisconnectReason];
    result: void;
  };
  /** A chat line before the relay (`/commands` are not among them). */
  clientMessage: {
    data: { client: IClient; message: string };
    args: [message: string, client: IClient];
    result: MessageVerdict;
  };
  /** A client loaded a map; split times when SAR sent them. */
  mapChange: {
    data: { client: IClient; map: string; ticks?: number; ticksTotal?: number };
    args: [client: IClient, map: string];
    result: void;
  };
  /** A speedrun finished, with SAR's time text. */
  speedrunFinish: {
    data: { client: IClient; time: string };
    args: [client: IClient, time: string];
    result: void;
  };
  /** A client changed its model. */
  modelChange: {
    data: { client: IClient; model: string };
    args: [client: IClient, model: string];
    result: void;
  };
  /** A client changed its colour. */
  colorChange: {
    data: { client: IClient; color: Color };
    args: [client: IClient, color: Color];
    result: void;
  };
  /** A client taunted. */
  taunt: {
    data: { client: IClient; animation: string };
    args: [client: IClient, animation: string];
    result: void;
  };
  /** A client pinged a surface. */
  locator: {
    data: { client: IClient; position: Vec3; normal: Vec3 };
    args: [client: IClient, position: Vec3, normal: Vec3];
    result: void;
  };
  /** A countdown was sent to every client. */
  countdownStart: {
    data: { delay: number; preCommands: string; postCommands: string; actor: string };
    args: [delay: number, preCommands: string, postCommands: string];
    result: void;
  };
  /** A client confirmed the countdown and was sent "go". */
  countdownGo: { data: { client: IClient }; args: [client: IClient]; result: void };
  /** An IP was banned. */
  ban: { data: { ip: string; actor: string }; args: [ip: string, actor: string]; result: void };
  /** A ban was lifted. */
  unban: { data: { ip: string; actor: string }; args: [ip: string, actor: string]; result: void };
  /** The whitelist changed. */
  whitelistChange: {
    data: {
      action: "enable" | "disable" | "add" | "remove";
      entry?: { name: string } | { ip: string };
      actor: string;
    };
    args: [action: "enable" | "disable" | "add" | "remove", actor: string];
    result: void;
  };
  /** Whether players or spectators are accepted changed. */
  acceptingChange: {
    data: { players: boolean; spectators: boolean; cause: "command" | "countdown"; actor: string };
    args: [players: boolean, spectators: boolean];
    result: void;
  };
  /** The server is listening. */
  serverStart: {
    data: { hostname: string; port: number };
    args: [hostname: string, port: number];
    result: void;
  };
  /** The server stopped. */
  serverStop: { data: Record<string, never>; args: []; result: void };
}

/**
 * The arguments a handler of `E` receives: the positional ones, then the typed object.
 *
 * @example
 * ```ts
 * import type { HandlerArgs } from "@ghosting/server/plugin";
 *
 * type Chat = HandlerArgs<"clientMessage">; // [message, client, { client, message }]
 * const chatArgs: Chat["length"] = 3;
 * ```
 */
export type HandlerArgs<E extends ServerEventName> = [
  ...ServerEvents[E]["args"],
  ServerEvents[E]["data"],
];

/**
 * Who may run a command: any player (in chat), or only admins (the console, the admin socket,
 * the API, and players on the `[plugins] admins` list).
 *
 * @example
 * ```ts
 * import type { Permission } from "@ghosting/server/plugin";
 *
 * const who: Permission = "admin";
 * ```
 */
export type Permission = "player" | "admin";

/**
 * Options of {@linkcode command}.
 *
 * @example
 * ```ts
 * import type { CommandOptions } from "@ghosting/server/plugin";
 *
 * const adminOnly: CommandOptions = { permission: "admin" };
 * ```
 */
export interface CommandOptions {
  /** Who may run it. Default `"player"`. */
  permission?: Permission;
}

/**
 * Who ran a command: a player in chat, or an operator surface (`"console"`, `"api"`, a
 * plugin's name).
 *
 * @example
 * ```ts
 * import type { Caller } from "@ghosting/server/plugin";
 *
 * const who = (caller: Caller) => caller.client?.name ?? caller.actor;
 * ```
 */
export interface Caller {
  /** The surface: `"chat"` for a player, else `"console"`, `"api"`, a plugin's name. */
  actor: string;
  /** The player, for a chat command. */
  client?: IClient;
}

/**
 * One kind of key of a plugin's config section.
 *
 * @example
 * ```ts
 * import type { ConfigField } from "@ghosting/server/plugin";
 *
 * const field: ConfigField = { type: "integer", min: 1, max: 100, default: 10, doc: "Lines per minute" };
 * ```
 */
export type ConfigField =
  | { type: "string"; default: string; doc: string }
  | { type: "integer"; min: number; max: number; default: number; doc: string }
  | { type: "boolean"; default: boolean; doc: string }
  | { type: "string_list"; default: readonly string[]; doc: string };

/**
 * A plugin's config schema: the keys of its `[plugins.<name>]` section.
 *
 * @example
 * ```ts
 * import type { ConfigSchema } from "@ghosting/server/plugin";
 *
 * const schema = {
 *   message: { type: "string", default: "Welcome!", doc: "Shown to each player who joins" },
 * } satisfies ConfigSchema;
 * ```
 */
export type ConfigSchema = Readonly<Record<string, ConfigField>>;

/**
 * The values of a config section, typed from its schema.
 *
 * @example
 * ```ts
 * import type { ConfigOf } from "@ghosting/server/plugin";
 *
 * const schema = { limit: { type: "integer", min: 1, max: 9, default: 3, doc: "A limit" } } as const;
 * const values: ConfigOf<typeof schema> = { limit: 5 };
 * ```
 */
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K]["default"] extends readonly string[] ? readonly string[]
    : S[K]["default"] extends string ? string
    : S[K]["default"] extends number ? number
    : boolean;
};

/**
 * What the server offers a plugin as `this.server`: its API, acting as the plugin (events
 * name the plugin as the actor), and its admin commands.
 *
 * @example
 * ```ts
 * import { command, type IClient, Plugin } from "@ghosting/server/plugin";
 *
 * export class Janitor extends Plugin {
 *   name = "janitor";
 *   version = "1.0.0";
 *   authors = ["you"];
 *   license = "MIT";
 *
 *   @command("afk <player>", "Move an idle player out", { permission: "admin" })
 *   async afk(client: IClient) {
 *     this.server.kick(client, "Idle too long");
 *     await this.respond(await this.server.execute("list"));
 *   }
 * }
 * ```
 */
export interface PluginServer {
  /** Every connected client, in connection order. */
  clients(): IClient[];
  /** One client by id. */
  client(id: number): IClient | undefined;
  /**
   * One connected client by id or exact name.
   *
   * @throws {CommandError} when none or several match, saying which
   */
  findClient(query: string | number): IClient;
  /** A chat line from the server to everyone. */
  sendMessage(text: string): void;
  /** A chat line from the server to one client; false when it is gone. */
  sendMessageTo(client: IClient | number, text: string): boolean;
  /** Disconnects a client; it reads `message` first. False when it was gone. */
  kick(client: IClient | number, message?: string): boolean;
  /** Bans the IP of a client, or an IP, and disconnects everyone from it. */
  ban(target: IClient | { ip: string }, message?: string): void;
  /** Lifts a ban; false when the IP was not banned. */
  unban(ip: string): boolean;
  /** Whether new players and spectators are accepted. */
  accepting(): { players: boolean; spectators: boolean };
  /** Accepts or refuses new players and/or spectators. */
  setAccepting(change: { players?: boolean; spectators?: boolean }): void;
  /** Sends a countdown to every client (defaults from `[countdown]`). */
  startCountdown(options?: { delay?: number; preCommands?: string; postCommands?: string }): void;
  /** The server's JSON status (see `GhostServer.status` in the server package). */
  status(): Readonly<Record<string, unknown>>;
  /** Milliseconds on the server's clock (a test harness drives it), for rate limits and timers. */
  now(): number;
  /** Where finished races are recorded, when the server keeps a history. */
  readonly history?: PluginHistory;
  /**
   * Runs an admin command line as this plugin, e.g. `"countdown start 5"`; resolves with what
   * a console would print.
   *
   * @throws {CommandError} for bad input
   */
  execute(line: string): Promise<string>;
}

/**
 * One speedrun finish as a plugin records it in the server's history.
 *
 * @example
 * ```ts
 * import type { FinishRecord } from "@ghosting/server/plugin";
 *
 * const record: FinishRecord = { map: "sp_a1_intro1", name: "NeKz", time: "12.345", place: 1, at: new Date() };
 * ```
 */
export interface FinishRecord {
  /** The map the run finished on. */
  map: string;
  /** The player's name. */
  name: string;
  /** SAR's time text. */
  time: string;
  /** 1 for the first to finish a race, 2 for the next, … */
  place: number;
  /** When it finished. */
  at: Date;
}

/**
 * The event history a server may keep (its storage): what plugins may add to.
 *
 * @example
 * ```ts
 * import type { FinishRecord, PluginHistory } from "@ghosting/server/plugin";
 *
 * // An in-memory history, as a test might use.
 * class Memory implements PluginHistory {
 *   readonly finishes: FinishRecord[] = [];
 *   recordFinish(record: FinishRecord) {
 *     this.finishes.push(record);
 *   }
 * }
 * ```
 */
export interface PluginHistory {
  /** Stores one finish. */
  recordFinish(record: FinishRecord): void | Promise<void>;
}

/**
 * What the server attaches to each plugin it loads. Plugin authors never implement it; the
 * test harness and the server do.
 *
 * @example
 * ```ts
 * import type { PluginRuntime } from "@ghosting/server/plugin";
 *
 * type Respond = PluginRuntime["respond"];
 * ```
 */
export interface PluginRuntime {
  /** The server API as this plugin. */
  readonly server: PluginServer;
  /** The plugin's validated config section. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Answers whoever triggered the current command or event. */
  respond(text: string): Promise<void>;
  /** A server message to one client. */
  respondToClient(client: IClient | number, text: string): Promise<void>;
  /** A server message to everyone. */
  broadcast(text: string): Promise<void>;
}

/** Where the server attaches the runtime; a registered symbol, so a plugin built against
 * another copy of this module (an npm or JSR package) still works. */
const RUNTIME = Symbol.for("ghosting.plugin.runtime");
/** Marks plugin classes across copies of this module. */
const BRAND = Symbol.for("ghosting.plugin");
/** Decorator metadata: the commands and handlers of a class. */
const COMMANDS = Symbol.for("ghosting.plugin.commands");
const HANDLERS = Symbol.for("ghosting.plugin.handlers");

/**
 * A command a plugin declared with {@linkcode command}, as the server reads it.
 *
 * @example
 * ```ts
 * import { type DeclaredCommand, pluginCommands } from "@ghosting/server/plugin";
 *
 * const names = (plugin: object) => pluginCommands(plugin).map((c: DeclaredCommand) => c.signature.name);
 * ```
 */
export interface DeclaredCommand {
  /** The parsed signature. */
  signature: Signature;
  /** One line for help. */
  description: string;
  /** Who may run it. */
  permission: Permission;
  /** The method's name. */
  method: string | symbol;
}

/**
 * An event handler a plugin declared with {@linkcode on}.
 *
 * @example
 * ```ts
 * import { type DeclaredHandler, pluginHandlers } from "@ghosting/server/plugin";
 *
 * const events = (plugin: object) => pluginHandlers(plugin).map((h: DeclaredHandler) => h.event);
 * ```
 */
export interface DeclaredHandler {
  /** The event. */
  event: ServerEventName;
  /** The method's name. */
  method: string | symbol;
}

function ownList<T>(metadata: DecoratorMetadataObject, key: symbol): T[] {
  const record = metadata as Record<symbol, T[]>;
  if (!Object.hasOwn(record, key)) record[key] = [];
  return record[key];
}

/** What every class from the plugin's base up to its own declared under `key`, base first. */
function declared<T>(plugin: object, key: symbol): T[] {
  const lists: T[][] = [];
  let ctor = (plugin as { constructor?: unknown }).constructor;
  while (typeof ctor === "function") {
    const metadata = (ctor as unknown as Record<symbol, unknown>)[Symbol.metadata] as
      | Record<symbol, T[]>
      | null
      | undefined;
    if (metadata && Object.hasOwn(metadata, key)) lists.unshift(metadata[key]);
    ctor = Object.getPrototypeOf(ctor);
  }
  return lists.flat();
}

/**
 * The commands a plugin instance declared, in declaration order.
 *
 * @example
 * ```ts
 * import { command, Plugin, pluginCommands } from "@ghosting/server/plugin";
 *
 * class Pinger extends Plugin {
 *   name = "pinger";
 *   version = "1.0.0";
 *   authors = ["you"];
 *   license = "MIT";
 *
 *   @command("ping", "Ping the server!")
 *   async ping() {
 *     await this.respond("pong!");
 *   }
 * }
 * console.log(pluginCommands(new Pinger())[0].signature.name); // "ping"
 * ```
 */
export function pluginCommands(plugin: object): readonly DeclaredCommand[] {
  return declared<DeclaredCommand>(plugin, COMMANDS);
}

/**
 * The event handlers a plugin instance declared, in declaration order.
 *
 * @example
 * ```ts
 * import { on, Plugin, pluginHandlers, ServerEvent } from "@ghosting/server/plugin";
 *
 * class Greeter extends Plugin {
 *   name = "greeter";
 *   version = "1.0.0";
 *   authors = ["you"];
 *   license = "MIT";
 *
 *   @on(ServerEvent.ClientConnected)
 *   greet() {}
 * }
 * console.log(pluginHandlers(new Greeter())[0].event); // "clientConnected"
 * ```
 */
export function pluginHandlers(plugin: object): readonly DeclaredHandler[] {
  return declared<DeclaredHandler>(plugin, HANDLERS);
}

/**
 * Declares a command. The signature is its name and parameters: `<required>`, `[optional]`,
 * `<rest...>` (the rest of the line), `<player>` (a connected client, found by id or exact
 * name: the method receives an {@linkcode IClient}), `<n:int>`. The method receives the
 * parameters in order, then the {@linkcode Caller}. The command joins the server's admin
 * table (console, admin socket, API) and chat, as `/name`.
 *
 * @example
 * ```ts
 * import { command, type IClient, Plugin } from "@ghosting/server/plugin";
 *
 * export class Messenger extends Plugin {
 *   name = "messenger";
 *   version = "1.0.0";
 *   authors = ["you"];
 *   license = "MIT";
 *
 *   @command("dm <player> <message...>", "DM a player!")
 *   async dm(client: IClient, message: string) {
 *     await this.respondToClient(client, message);
 *   }
 * }
 * ```
 *
 * @throws {TypeError} when the class is defined, for a malformed signature
 */
export function command(
  signature: string,
  description: string,
  options: CommandOptions = {},
): <This extends Plugin>(
  method: (this: This, ...args: never[]) => unknown,
  context: ClassMethodDecoratorContext<This>,
) => void {
  const parsed = parseSignature(signature);
  if (typeof description !== "string") throw new TypeError("A command needs a description");
  const permission = options.permission ?? "player";
  if (permission !== "player" && permission !== "admin") {
    throw new TypeError(`permission must be "player" or "admin", got ${String(permission)}`);
  }
  return (_method, context) => {
    if (context.kind !== "method" || context.static) {
      throw new TypeError("@command decorates instance methods");
    }
    ownList<DeclaredCommand>(context.metadata, COMMANDS).push({
      signature: parsed,
      description,
      permission,
      method: context.name,
    });
  };
}

/**
 * Declares an event handler. It receives the event's positional arguments, then its data as a
 * typed object ({@linkcode ServerEvents}); `ClientConnecting` and `ClientMessage` handlers may
 * answer with a verdict. A handler may be async; it is given 1 s by default (`[plugins]
 * hook_timeout_ms`) and a failure is logged and changes nothing.
 *
 * @example
 * ```ts
 * import { type IClient, on, Plugin, ServerEvent } from "@ghosting/server/plugin";
 *
 * export class Welcome extends Plugin {
 *   name = "welcome";
 *   version = "1.0.0";
 *   authors = ["you"];
 *   license = "MIT";
 *
 *   @on(ServerEvent.ClientConnected)
 *   async greet(client: IClient) {
 *     await this.respond(`Welcome, ${client.name}!`);
 *   }
 *
 *   @on(ServerEvent.ClientMessage)
 *   noShouting(message: string) {
 *     if (message.length > 8 && message === message.toUpperCase()) return { drop: true } as const;
 *   }
 * }
 * ```
 */
export function on<E extends ServerEventName>(
  event: E,
): <This extends Plugin>(
  method: (
    this: This,
    ...args: HandlerArgs<E>
  ) => ServerEvents[E]["result"] | Promise<ServerEvents[E]["result"]>,
  context: ClassMethodDecoratorContext<This>,
) => void {
  if (!Object.values(ServerEvent).includes(event)) {
    throw new TypeError(`Unknown event "${String(event)}"; use one of ServerEvent`);
  }
  return (_method, context) => {
    if (context.kind !== "method" || context.static) {
      throw new TypeError("@on decorates instance methods");
    }
    ownList<DeclaredHandler>(context.metadata, HANDLERS).push({ event, method: context.name });
  };
}

/**
 * The base class of every plugin: give it a name, version, authors and license, then declare
 * commands with {@linkcode command} and event handlers with {@linkcode on}. The server
 * constructs it with no arguments.
 *
 * @example
 * ```ts
 * import { command, type IClient, on, Plugin, ServerEvent } from "@ghosting/server/plugin";
 *
 * export class ExamplePlugin extends Plugin {
 *   name = "Example Plugin";
 *   version = "1.0.0";
 *   authors = ["NeKz"];
 *   license = "MIT";
 *
 *   @command("ping", "Ping the server!")
 *   async onPing() {
 *     await this.respond("pong!");
 *   }
 *
 *   @command("dm <player> <message...>", "DM a player!")
 *   async onDirectMessage(client: IClient, message: string) {
 *     await this.respondToClient(client, message);
 *   }
 *
 *   @on(ServerEvent.ClientMessage)
 *   async onClientMessage(message: string) {
 *     const [command, ..._rest] = message.split(" ");
 *     switch (command) {
 *       case "/ping": {
 *         await this.respond("pong");
 *         break;
 *       }
 *     }
 *   }
 * }
 * ```
 */
export abstract class Plugin<S extends ConfigSchema = ConfigSchema> {
  /** Shown in `plugins`, logs and events; its config section is `[plugins.<name>]`. */
  abstract name: string;
  /** The plugin's version (semver). */
  abstract version: string;
  /** Who wrote it. */
  abstract authors: string[];
  /** Its licence, as an SPDX identifier. */
  abstract license: string;
  /** One line about what it does, for `plugins`. */
  description?: string;
  /**
   * The keys of its `[plugins.<name>]` config section; unknown keys there are errors. Pass
   * its type as the class's type argument to type {@linkcode Plugin.config}.
   */
  configSchema?: S;

  /** Marks the class as a plugin for loaders, whichever copy of this module built it. */
  static readonly [BRAND] = true;

  #runtime(): PluginRuntime {
    const runtime = (this as unknown as Record<symbol, PluginRuntime | undefined>)[RUNTIME];
    if (!runtime) {
      throw new Error(`Plugin ${this.name} is not loaded by a server yet`);
    }
    return runtime;
  }

  /** The server API and admin commands, acting as this plugin. */
  get server(): PluginServer {
    return this.#runtime().server;
  }

  /**
   * The validated values of the `[plugins.<name>]` section (defaults filled in), typed from
   * the schema given as the class's type argument (`extends Plugin<typeof schema>`).
   */
  get config(): ConfigOf<S> {
    return this.#runtime().config as ConfigOf<S>;
  }

  /** A logger named after the plugin: `["ghosting", "plugin", name]`. */
  get log(): PluginLogger {
    return getLogger(["ghosting", "plugin", this.name]);
  }

  /**
   * Answers whoever triggered the current command or event: a player reads a server message
   * sent only to them; the console or admin socket prints the line.
   */
  respond(text: string): Promise<void> {
    return this.#runtime().respond(text);
  }

  /** Sends a server message to one client only. */
  respondToClient(client: IClient | number, text: string): Promise<void> {
    return this.#runtime().respondToClient(client, text);
  }

  /** Sends a server message to every client. */
  broadcast(text: string): Promise<void> {
    return this.#runtime().broadcast(text);
  }
}

/**
 * Whether `value` is a plugin class (a subclass of {@linkcode Plugin} from any copy of this
 * module), as a loader finds them among a module's exports.
 *
 * @example
 * ```ts
 * import { isPluginClass, Plugin } from "@ghosting/server/plugin";
 *
 * class Tiny extends Plugin {
 *   name = "tiny";
 *   version = "1.0.0";
 *   authors = [];
 *   license = "MIT";
 * }
 * console.log(isPluginClass(Tiny), isPluginClass(Plugin), isPluginClass({})); // true false false
 * ```
 */
export function isPluginClass(value: unknown): value is new () => Plugin {
  if (typeof value !== "function") return false;
  // The base class itself (which owns the brand) is abstract: only its subclasses are plugins.
  return (value as unknown as Record<symbol, unknown>)[BRAND] === true &&
    !Object.hasOwn(value, BRAND);
}

/**
 * Attaches a runtime to a plugin instance: what the server (or the test harness) does when it
 * loads it.
 *
 * @example
 * ```ts
 * import { attachRuntime, type Plugin, type PluginRuntime } from "@ghosting/server/plugin";
 *
 * function load(plugin: Plugin, runtime: PluginRuntime) {
 *   attachRuntime(plugin, runtime);
 * }
 * ```
 */
export function attachRuntime(plugin: object, runtime: PluginRuntime | undefined): void {
  Object.defineProperty(plugin, RUNTIME, { value: runtime, configurable: true, writable: true });
}
