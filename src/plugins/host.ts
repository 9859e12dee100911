/**
 * The plugin host: loads plugins into a running server through its public API only. Plugin
 * commands join the admin command table and chat (`/name`); event handlers listen to the
 * server's events; `ClientConnecting` and `ClientMessage` handlers become an acceptance policy
 * and a chat filter. Every call into a plugin is isolated: it may throw, reject or hang (it is
 * given `hookTimeoutMs`) and the server carries on.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { getLogger } from "@logtape/logtape";
import { type Clock, systemClock } from "../clock.ts";
import {
  type Args,
  type ArgSpec,
  type Command,
  CommandError,
  type CommandOutput,
  type CommandTable,
  type PlayerSelector,
  resolvePlayers,
} from "../admin/mod.ts";
import { parseIp } from "../net/address.ts";
import type { ClientInfo } from "../server/client.ts";
import type { Actor, GhostServerEvents } from "../server/events.ts";
import { callHook, DEFAULT_HOOK_TIMEOUT_MS, type HookOutcome } from "../server/hooks.ts";
import type { GhostServer } from "../server/server.ts";
import { pluginConfig, pluginSlug } from "./config.ts";
import {
  attachRuntime,
  type Caller,
  type DeclaredCommand,
  type IClient,
  isPluginClass,
  type MessageVerdict,
  type Plugin,
  pluginCommands,
  pluginHandlers,
  type PluginHistory,
  type PluginRuntime,
  type PluginServer,
  type ServerEventName,
} from "./plugin.ts";
import type { SignatureParam } from "./signature.ts";

const log = getLogger(["ghosting", "plugins"]);

/**
 * Calls into one plugin that may be unfinished at once (hanging handlers); beyond it, events
 * are skipped for that plugin, not queued, and its commands answer that it is busy.
 *
 * @example
 * ```ts
 * import { MAX_PLUGIN_CALLS_IN_FLIGHT } from "@ghosting/server";
 *
 * console.log(MAX_PLUGIN_CALLS_IN_FLIGHT); // 64
 * ```
 */
export const MAX_PLUGIN_CALLS_IN_FLIGHT = 64;
/** Server messages a plugin may send in a burst, and per second after it. */
const MESSAGE_BURST = 40;
const MESSAGES_PER_SECOND = 20;
/** Longest line a plugin may send; longer ones are cut. */
const MAX_LINE_LENGTH = 1024;
/** Chat commands one player may have running at once. */
const MAX_CHAT_COMMANDS_PER_PLAYER = 4;

/**
 * What a plugin answers are attributed to: a command's caller, or the client an event is about.
 */
type Trigger =
  | { kind: "command"; caller: Caller; lines: string[]; open: boolean }
  | { kind: "event"; client?: { id: number } };

/**
 * A loaded plugin, as `plugins` lists it.
 *
 * @example
 * ```ts
 * import type { PluginInfo } from "@ghosting/server";
 *
 * const line = (p: PluginInfo) => `${p.name} ${p.version} by ${p.authors.join(", ")} (${p.source})`;
 * ```
 */
export interface PluginInfo {
  /** The plugin's name. */
  name: string;
  /** Its version. */
  version: string;
  /** Its authors. */
  authors: string[];
  /** Its licence. */
  license: string;
  /** What it does, when it says. */
  description?: string;
  /** Where it came from: a path, a specifier, or `(code)`. */
  source: string;
  /** Its commands, as usage lines. */
  commands: string[];
  /** The events it handles. */
  events: ServerEventName[];
}

/**
 * A plugin that could not be loaded: where from, and why.
 *
 * @example
 * ```ts
 * import type { PluginFailure } from "@ghosting/server";
 *
 * const report = (f: PluginFailure) => `${f.source}: ${f.error}`;
 * ```
 */
export interface PluginFailure {
  /** The path or specifier (and export) that failed. */
  source: string;
  /** The error, one line. */
  error: string;
}

/**
 * Settings of a {@linkcode PluginHost}.
 *
 * @example
 * ```ts
 * import { createCommandTable, type PluginHostOptions } from "@ghosting/server";
 *
 * const options: PluginHostOptions = {
 *   table: createCommandTable(),
 *   admins: ["NeKz@127.0.0.1"],
 *   sections: { motd: { message: "Welcome!" } },
 * };
 * ```
 */
export interface PluginHostOptions {
  /** The admin command table plugin commands join. */
  table: CommandTable;
  /** Players who may run admin commands in chat, as `name@ip` (`[plugins] admins`). */
  admins?: readonly string[];
  /** How long a plugin call may take. Default 1000 (`[plugins] hook_timeout_ms`). */
  hookTimeoutMs?: number;
  /** The clock of the timeouts and of `this.server.now()`; pass the server's. */
  clock?: Clock;
  /**
   * The server's history, offered to plugins as `this.server.history`; a function gets each
   * plugin's name and returns that plugin's view (so a store can record who reported what).
   */
  history?: PluginHistory | ((plugin: string) => PluginHistory);
  /** `[plugins.<name>]` sections by name, checked by each plugin's schema as it loads. */
  sections?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Where relative plugin paths are resolved. Default: the working directory. */
  baseDir?: string;
}

interface Loaded {
  plugin: Plugin;
  name: string;
  source: string;
  /** How to load it again: the module URL and export, or the class for code-added ones. */
  origin: { url: string; exportName: string } | { ctor: new () => Plugin };
  commands: DeclaredCommand[];
  cleanup: (() => void)[];
  inFlight: number;
  floodWarned: boolean;
  messagesWarned: boolean;
  tokens: number;
  refilledAt: number;
}

function isCommandError(error: unknown): error is Error {
  // By name too: a plugin built against another copy of the package has another class.
  return error instanceof CommandError ||
    (error instanceof Error && error.name === "CommandError");
}

/** The read-only view of a client that plugins get. */
export function toIClient(info: ClientInfo): IClient {
  return Object.freeze({
    id: info.id,
    name: info.name,
    ip: info.ip,
    map: info.map,
    model: info.model,
    color: Object.freeze({ ...info.color }),
    spectator: info.spectator,
    tcpOnly: info.tcpOnly,
    position: Object.freeze({ ...info.data.position }),
  });
}

function splitLines(text: string): string[] {
  return String(text).split(/\r?\n|\r/).map((line) => line.replaceAll("\0", " "))
    .filter((line) => line.length > 0).map((line) => line.slice(0, MAX_LINE_LENGTH));
}

/** Packs words into lines of at most `width` characters. */
function pack(prefix: string, items: string[], width = 120): string[] {
  const lines: string[] = [];
  let line = prefix;
  for (const item of items) {
    const next = line === prefix ? `${line}${item}` : `${line}, ${item}`;
    if (next.length > width && line !== prefix) {
      lines.push(line);
      line = `  ${item}`;
    } else line = next;
  }
  lines.push(line);
  return lines;
}

function argSpec(param: SignatureParam): ArgSpec {
  const base = { name: param.name, doc: param.name, optional: param.optional || undefined };
  switch (param.kind) {
    case "player":
      return { ...base, type: "player", doc: "A connected player: id or exact name" };
    case "int":
      return { ...base, type: "integer", min: -2147483648, max: 2147483647 };
    case "string":
      return { ...base, type: "string", rest: param.rest || undefined };
  }
}

function parseAdmins(entries: readonly string[]): { name: string; ip: string }[] {
  return entries.map((entry) => {
    const at = entry.lastIndexOf("@");
    const ip = at > 0 ? parseIp(entry.slice(at + 1)) : undefined;
    if (ip === undefined) {
      throw new TypeError(
        `[plugins] admins entry "${entry}" must be name@ip, e.g. "NeKz@203.0.113.7"`,
      );
    }
    return { name: entry.slice(0, at), ip };
  });
}

/** A module specifier from a path or specifier, relative paths from `baseDir`. */
export function pluginModuleUrl(specifier: string, baseDir: string): string {
  if (/^(npm|jsr|https?|file):/.test(specifier)) return specifier;
  const base = new URL(`file://${baseDir.endsWith("/") ? baseDir : `${baseDir}/`}`);
  return new URL(specifier, base).href;
}

/**
 * Runs plugins in a server. Create one before {@linkcode GhostServer.start} so that plugins
 * see the start and every connection.
 *
 * @example
 * ```ts
 * import { createCommandTable, GhostServer, PluginHost } from "@ghosting/server";
 * import { command, Plugin } from "@ghosting/server/plugin";
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
 *
 * const server = new GhostServer({ port: 0 });
 * const table = createCommandTable();
 * const host = new PluginHost(server, { table });
 * host.add(new Pinger());
 * await server.start();
 * console.log((await table.execute("ping", { server, actor: "console" })).text); // pong!
 * await server.stop();
 * host.close();
 * ```
 */
export class PluginHost {
  /** The server plugins run in. */
  readonly server: GhostServer;
  /** The admin command table. */
  readonly table: CommandTable;
  readonly #admins: { name: string; ip: string }[];
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #history?: PluginHistory | ((plugin: string) => PluginHistory);
  readonly #sections: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly #baseDir: string | undefined;
  readonly #plugins = new Map<string, Loaded>();
  readonly #failures: PluginFailure[] = [];
  readonly #als = new AsyncLocalStorage<Trigger>();
  readonly #cleanup: (() => void)[] = [];
  readonly #chatCommands = new Map<number, number>();
  #reloads = 0;

  /**
   * Hooks the host into the server: the chat command filter and the `plugins` command.
   *
   * @throws {TypeError} for a malformed `admins` entry
   * @throws {RangeError} for a timeout out of 1–60000 ms
   */
  constructor(server: GhostServer, options: PluginHostOptions) {
    this.server = server;
    this.table = options.table;
    this.#admins = parseAdmins(options.admins ?? []);
    this.#timeoutMs = options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
    if (!Number.isInteger(this.#timeoutMs) || this.#timeoutMs < 1 || this.#timeoutMs > 60000) {
      throw new RangeError(`hookTimeoutMs must be from 1 to 60000, got ${this.#timeoutMs}`);
    }
    this.#clock = options.clock ?? systemClock;
    this.#history = options.history;
    this.#sections = options.sections ?? {};
    this.#baseDir = options.baseDir;
    // First in the chain: a /command is answered and swallowed before any plugin's filter.
    this.#cleanup.push(
      server.addChatFilter((line) => this.#chatCommand(line.client, line.text), {
        name: "chat commands",
        timeoutMs: this.#timeoutMs,
      }),
    );
    this.#cleanup.push(this.table.register(this.#pluginsCommand()));
  }

  /** The loaded plugins. */
  list(): PluginInfo[] {
    return [...this.#plugins.values()].map((loaded) => this.#info(loaded));
  }

  /** Plugins that failed to load since the host started. */
  failures(): PluginFailure[] {
    return [...this.#failures];
  }

  /**
   * Loads a plugin instance: checks its metadata and config section, registers its commands
   * and handlers.
   *
   * @param source where it came from, for `plugins` and logs
   * @throws {TypeError} for bad metadata, a bad config section or a command name in use
   */
  add(plugin: Plugin, source = "(code)"): PluginInfo {
    return this.#add(plugin, source, { ctor: plugin.constructor as new () => Plugin });
  }

  /**
   * Imports a module (a path relative to `baseDir`, or an `npm:`/`jsr:`/`file:` specifier)
   * and loads every exported {@linkcode Plugin} subclass; `baseDir` overrides the host's for
   * relative paths (the command line's are relative to the working directory). Failures are logged with the path
   * and the error, recorded in {@linkcode PluginHost.failures}, and never thrown.
   */
  async load(specifier: string, baseDir?: string): Promise<PluginInfo[]> {
    // The working directory is read only when needed: it takes a read permission.
    const url = pluginModuleUrl(specifier, baseDir ?? this.#baseDir ?? Deno.cwd());
    let module: Record<string, unknown>;
    try {
      module = await import(url);
    } catch (error) {
      this.#fail(specifier, error);
      return [];
    }
    const classes = Object.entries(module).filter(([, value]) => isPluginClass(value));
    if (classes.length === 0) {
      this.#fail(specifier, new TypeError("The module exports no Plugin subclass"));
      return [];
    }
    const infos: PluginInfo[] = [];
    for (const [exportName, ctor] of classes) {
      try {
        const plugin = new (ctor as new () => Plugin)();
        infos.push(this.#add(plugin, specifier, { url, exportName }));
      } catch (error) {
        this.#fail(`${specifier} (${exportName})`, error);
      }
    }
    return infos;
  }

  /**
   * Loads a plugin again from its module (re-imported, for local files) or its class; the old
   * instance stays when the new one fails.
   *
   * @throws {CommandError} when no plugin has this name, or the new one fails to load
   */
  async reload(name: string): Promise<PluginInfo> {
    const old = this.#find(name);
    let fresh: Plugin;
    let origin = old.origin;
    try {
      if ("url" in origin) {
        const url = origin.url.startsWith("file:")
          ? `${origin.url.split("?")[0]}?reload=${++this.#reloads}`
          : origin.url;
        const module = await import(url) as Record<string, unknown>;
        const ctor = module[origin.exportName];
        if (!isPluginClass(ctor)) {
          throw new TypeError(`The module no longer exports the plugin as ${origin.exportName}`);
        }
        fresh = new ctor();
        origin = { url: origin.url, exportName: origin.exportName };
      } else {
        fresh = new origin.ctor();
      }
    } catch (error) {
      throw new CommandError(`Reloading ${old.name} failed: ${oneLine(error)}`);
    }
    this.#remove(old);
    try {
      const info = this.#add(fresh, old.source, origin);
      log.info("Reloaded plugin {name}", { name: info.name });
      return info;
    } catch (error) {
      this.#readd(old);
      throw new CommandError(`Reloading ${old.name} failed, the old one stays: ${oneLine(error)}`);
    }
  }

  /** Unloads a plugin; false when none has this name. */
  remove(name: string): boolean {
    const loaded = this.#plugins.get(name.toLowerCase()) ??
      [...this.#plugins.values()].find((p) => pluginSlug(p.name) === pluginSlug(name));
    if (!loaded) return false;
    this.#remove(loaded);
    return true;
  }

  /** `[plugins.<name>]` sections that no loaded plugin claimed (probably typos). */
  unusedSections(): string[] {
    const claimed = new Set(
      [...this.#plugins.values()].flatMap((p) => [p.name, pluginSlug(p.name)]),
    );
    return Object.keys(this.#sections).filter((key) => !claimed.has(key));
  }

  /** Unloads every plugin and unhooks the host from the server. */
  close(): void {
    for (const loaded of [...this.#plugins.values()]) this.#remove(loaded);
    for (const undo of this.#cleanup.splice(0)) undo();
  }

  // ------------------------------------------------------------ loading

  #add(plugin: Plugin, source: string, origin: Loaded["origin"]): PluginInfo {
    const name = plugin.name;
    if (typeof name !== "string" || !/^[^\0\r\n]{1,64}$/.test(name.trim())) {
      throw new TypeError("A plugin needs a name of 1 to 64 characters");
    }
    for (const key of ["version", "license"] as const) {
      if (typeof plugin[key] !== "string") throw new TypeError(`Plugin ${name} needs a ${key}`);
    }
    if (!Array.isArray(plugin.authors) || !plugin.authors.every((a) => typeof a === "string")) {
      throw new TypeError(`Plugin ${name} needs authors, a list of names`);
    }
    const existing = this.#plugins.get(name.toLowerCase());
    if (existing) {
      throw new TypeError(`A plugin named "${name}" is already loaded from ${existing.source}`);
    }
    const slug = pluginSlug(name);
    const section = this.#sections[name] ?? this.#sections[slug];
    const config = pluginConfig(plugin.configSchema, section, `[plugins.${slug}]`);
    const loaded: Loaded = {
      plugin,
      name,
      source,
      origin,
      commands: [...pluginCommands(plugin)],
      cleanup: [],
      inFlight: 0,
      floodWarned: false,
      messagesWarned: false,
      tokens: MESSAGE_BURST,
      refilledAt: this.#clock.now(),
    };
    attachRuntime(plugin, this.#runtime(loaded, config));
    try {
      for (const declared of loaded.commands) {
        loaded.cleanup.push(this.table.register(this.#tableCommand(loaded, declared)));
      }
      this.#subscribe(loaded);
    } catch (error) {
      for (const undo of loaded.cleanup.splice(0)) undo();
      attachRuntime(plugin, undefined);
      throw error;
    }
    this.#plugins.set(name.toLowerCase(), loaded);
    log.info("Loaded plugin {name} {version} from {source}", {
      name,
      version: plugin.version,
      source,
    });
    return this.#info(loaded);
  }

  #readd(loaded: Loaded): void {
    try {
      this.#add(loaded.plugin, loaded.source, loaded.origin);
    } catch (error) {
      this.#fail(loaded.source, error);
    }
  }

  #remove(loaded: Loaded): void {
    for (const undo of loaded.cleanup.splice(0)) undo();
    this.#plugins.delete(loaded.name.toLowerCase());
    log.info("Unloaded plugin {name}", { name: loaded.name });
  }

  #fail(source: string, error: unknown): void {
    const message = oneLine(error);
    this.#failures.push({ source, error: message });
    log.error("Plugin {source} failed to load: {error}", { source, error: message });
  }

  #find(name: string): Loaded {
    const loaded = this.#plugins.get(name.toLowerCase()) ??
      [...this.#plugins.values()].find((p) => pluginSlug(p.name) === pluginSlug(name));
    if (!loaded) {
      const names = [...this.#plugins.values()].map((p) => p.name);
      throw new CommandError(
        `No plugin named '${name}'${names.length ? `; loaded: ${names.join(", ")}` : ""}`,
      );
    }
    return loaded;
  }

  #info(loaded: Loaded): PluginInfo {
    const { plugin } = loaded;
    const info: PluginInfo = {
      name: loaded.name,
      version: plugin.version,
      authors: [...plugin.authors],
      license: plugin.license,
      source: loaded.source,
      commands: loaded.commands.map((c) =>
        this.table.usage(
          [c.signature.name],
          this.table.get(c.signature.name) ?? { name: "", summary: "" },
        )
      ),
      events: [...new Set(pluginHandlers(plugin).map((h) => h.event))],
    };
    if (plugin.description) info.description = plugin.description;
    return info;
  }

  // ------------------------------------------------------------ calling plugins

  /**
   * Calls into a plugin under the timeout, with `trigger` as the context of `respond`.
   * Failures are logged with the plugin's name; the outcome never rejects.
   */
  #call<T>(
    loaded: Loaded,
    what: string,
    trigger: Trigger,
    fn: () => T | Promise<T>,
  ): Promise<HookOutcome<T>> {
    loaded.inFlight++;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      loaded.inFlight--;
    };
    return callHook(this.#clock, this.#timeoutMs, () => {
      const result = this.#als.run(trigger, fn);
      if (result instanceof Promise) result.then(done, done);
      else done();
      return result;
    }).then((outcome) => {
      if (!outcome.ok) {
        if (!outcome.timedOut) done();
        if (!isCommandError(outcome.error)) {
          log.error("Plugin {plugin}: {what} {failed}: {error}", {
            plugin: loaded.name,
            what,
            failed: outcome.timedOut ? "timed out" : "failed",
            error: outcome.error,
          });
        }
      }
      return outcome;
    });
  }

  /** Whether a plugin may be called again now; false while too many calls are unfinished. */
  #admit(loaded: Loaded, what: string): boolean {
    if (loaded.inFlight < MAX_PLUGIN_CALLS_IN_FLIGHT) {
      loaded.floodWarned = false;
      return true;
    }
    if (!loaded.floodWarned) {
      loaded.floodWarned = true;
      log.warn(
        "Plugin {plugin} has {count} unfinished calls; skipping {what} and later events until they finish",
        { plugin: loaded.name, count: loaded.inFlight, what },
      );
    }
    return false;
  }

  #method(loaded: Loaded, method: string | symbol): (...args: unknown[]) => unknown {
    const fn = (loaded.plugin as unknown as Record<string | symbol, unknown>)[method];
    if (typeof fn !== "function") {
      throw new TypeError(`Plugin ${loaded.name} has no method ${String(method)}`);
    }
    return fn as (...args: unknown[]) => unknown;
  }

  #subscribe(loaded: Loaded): void {
    const byEvent = new Map<ServerEventName, ((...args: unknown[]) => unknown)[]>();
    for (const handler of pluginHandlers(loaded.plugin)) {
      const list = byEvent.get(handler.event) ?? [];
      list.push(this.#method(loaded, handler.method));
      byEvent.set(handler.event, list);
    }
    const server = this.server;
    const name = loaded.name;
    const { plugin } = loaded;
    for (const [event, methods] of byEvent) {
      if (event === "clientConnecting") {
        loaded.cleanup.push(server.addAcceptancePolicy(async (client) => {
          const view = Object.freeze({ ...client, color: Object.freeze({ ...client.color }) });
          for (const method of methods) {
            const verdict = await this.#als.run(
              { kind: "event" },
              () => method.call(plugin, view, { client: view }),
            ) as { refuse?: unknown } | undefined;
            if (typeof verdict?.refuse === "string") return { refuse: verdict.refuse };
          }
        }, { name, timeoutMs: this.#timeoutMs }));
        continue;
      }
      if (event === "clientMessage") {
        loaded.cleanup.push(server.addChatFilter(async (line) => {
          const client = toIClient(line.client);
          const trigger: Trigger = { kind: "event", client };
          let text = line.text;
          for (const method of methods) {
            const verdict = await this.#als.run(
              trigger,
              () => method.call(plugin, text, client, { client, message: text }),
            ) as MessageVerdict;
            if (typeof verdict !== "object" || verdict === null) continue;
            if ("drop" in verdict && verdict.drop === true) return { drop: true };
            if ("text" in verdict && typeof verdict.text === "string") text = verdict.text;
          }
          return text === line.text ? undefined : { text };
        }, { name, timeoutMs: this.#timeoutMs }));
        continue;
      }
      const bridge = BRIDGES[event];
      const listener = (data: unknown) => {
        const { args, event: payload, client } = bridge.convert(data as never);
        for (const method of methods) {
          if (!this.#admit(loaded, `${event} handler`)) return;
          void this.#call(
            loaded,
            `${event} handler`,
            { kind: "event", client },
            () => method.call(plugin, ...args, payload),
          );
        }
      };
      loaded.cleanup.push(server.on(bridge.source, listener));
    }
  }

  // ------------------------------------------------------------ commands

  #tableCommand(loaded: Loaded, declared: DeclaredCommand): Command {
    const { signature, description, permission } = declared;
    return {
      name: signature.name,
      summary: `${description} (${loaded.name}${permission === "admin" ? ", admin" : ""})`,
      args: signature.params.map(argSpec),
      run: (context, args) => this.#runCommand(loaded, declared, args, { actor: context.actor }),
    };
  }

  async #runCommand(
    loaded: Loaded,
    declared: DeclaredCommand,
    args: Args,
    caller: Caller,
  ): Promise<CommandOutput> {
    const values = declared.signature.params.map((param) => {
      const value = args[param.name];
      if (value === undefined || param.kind !== "player") return value;
      return toIClient(resolvePlayers(this.server, value as PlayerSelector, "one")[0]);
    });
    const name = declared.signature.name;
    if (!this.#admit(loaded, `command ${name}`)) {
      throw new CommandError(`${loaded.name} is busy; try again later`);
    }
    const method = this.#method(loaded, declared.method);
    const trigger: Trigger = { kind: "command", caller, lines: [], open: true };
    const outcome = await this.#call(
      loaded,
      `command ${name}`,
      trigger,
      () => method.call(loaded.plugin, ...values, caller),
    );
    trigger.open = false;
    if (!outcome.ok) {
      if (isCommandError(outcome.error)) throw new CommandError(outcome.error.message);
      throw new CommandError(
        outcome.timedOut
          ? `${name} (${loaded.name}) did not finish within ${this.#timeoutMs} ms`
          : `${name} (${loaded.name}) failed; the server log has the details`,
      );
    }
    return { text: trigger.lines.join("\n") };
  }

  #isAdmin(client: ClientInfo): boolean {
    return this.#admins.some((admin) => admin.name === client.name && admin.ip === client.ip);
  }

  #declared(name: string): { loaded: Loaded; declared: DeclaredCommand } | undefined {
    for (const loaded of this.#plugins.values()) {
      const declared = loaded.commands.find((c) => c.signature.name === name);
      if (declared) return { loaded, declared };
    }
    return undefined;
  }

  /** The chat filter of `/commands`: runs them (without holding the chat) and swallows them. */
  #chatCommand(client: ClientInfo, text: string): { drop: true } | undefined {
    if (!text.startsWith("/") || text.length < 2) return undefined;
    const line = text.slice(1);
    const word = line.trim().split(/\s+/, 1)[0].toLowerCase();
    const builtin = word === "help" || word === "list";
    const command = builtin ? undefined : this.table.get(word);
    if (!builtin && !command) return undefined; // not a command: ordinary chat
    const reply = (lines: string) => this.#tell(client.id, lines, "server");
    const found = this.#declared(word);
    const admin = this.#isAdmin(client);
    if (!builtin && (found?.declared.permission ?? "admin") === "admin" && !admin) {
      reply(`Only admins may run /${word}`);
      return { drop: true };
    }
    const running = this.#chatCommands.get(client.id) ?? 0;
    if (running >= MAX_CHAT_COMMANDS_PER_PLAYER) {
      reply("Too many commands running; wait for them to finish");
      return { drop: true };
    }
    this.#chatCommands.set(client.id, running + 1);
    const caller: Caller = { actor: "chat", client: toIClient(client) };
    const run = async (): Promise<string> => {
      if (word === "help") return this.#chatHelp(admin).join("\n");
      if (word === "list") return this.#chatList().join("\n");
      const invocation = this.table.parseLine(line)!;
      if (found && invocation.path.length === 1) {
        return (await this.#runCommand(found.loaded, found.declared, invocation.args, caller)).text;
      }
      const actor: Actor = `${client.name} (chat)`;
      return (await this.table.run(invocation, { server: this.server, actor })).text;
    };
    run().then(
      (output) => output && reply(output),
      (error: unknown) => {
        if (isCommandError(error)) return reply(error.message);
        log.error("Chat command /{word} of {name} failed: {error}", {
          word,
          name: client.name,
          error,
        });
        reply(`/${word} failed`);
      },
    ).finally(() => {
      const left = (this.#chatCommands.get(client.id) ?? 1) - 1;
      if (left > 0) this.#chatCommands.set(client.id, left);
      else this.#chatCommands.delete(client.id);
    });
    return { drop: true };
  }

  #chatHelp(admin: boolean): string[] {
    const usages = ["/help", "/list"];
    for (const command of this.table.commands()) {
      const name = command.name;
      const permission = this.#declared(name)?.declared.permission ?? "admin";
      if (permission === "admin" && !admin) continue;
      if (name === "help" || name === "list" || command.aliasOf) continue;
      // A command with sub-commands is listed by name: its usage is too long for chat.
      usages.push(
        command.subcommands?.length ? `/${name}` : `/${this.table.usage([name], command)}`,
      );
    }
    return pack("Commands: ", usages);
  }

  #chatList(): string[] {
    const clients = this.server.clients();
    const players = clients.map((c) => `${c.name} (${c.id}${c.spectator ? ", spectator" : ""})`);
    return pack(`${clients.length} connected: `, players);
  }

  // ------------------------------------------------------------ the plugin's runtime

  /** Sends lines to one client, within the sender's message budget. */
  #tell(id: number, text: string, actor: Actor, loaded?: Loaded): void {
    for (const line of splitLines(text)) {
      if (loaded && !this.#spend(loaded)) return;
      this.server.sendMessageTo(id, line, actor);
    }
  }

  /** Takes one message from a plugin's budget; false (and a warning) when it is spent. */
  #spend(loaded: Loaded): boolean {
    const now = this.#clock.now();
    loaded.tokens = Math.min(
      MESSAGE_BURST,
      loaded.tokens + (now - loaded.refilledAt) * MESSAGES_PER_SECOND / 1000,
    );
    loaded.refilledAt = now;
    if (loaded.tokens < 1) {
      if (!loaded.messagesWarned) {
        loaded.messagesWarned = true;
        log.warn("Plugin {plugin} sends too many messages; dropping some", {
          plugin: loaded.name,
        });
      }
      return false;
    }
    loaded.tokens -= 1;
    loaded.messagesWarned = false;
    return true;
  }

  #runtime(loaded: Loaded, config: Record<string, unknown>): PluginRuntime {
    const server = this.server;
    const name = loaded.name;
    const clientId = (client: IClient | number) => typeof client === "number" ? client : client.id;
    const api: PluginServer = {
      clients: () => server.clients().map(toIClient),
      client: (id) => {
        const info = server.client(id);
        return info && toIClient(info);
      },
      findClient: (query) => {
        const selector: PlayerSelector = typeof query === "number" || /^\d+$/.test(query)
          ? { id: Number(query), explicit: false }
          : { name: query, explicit: true };
        return toIClient(resolvePlayers(server, selector, "one")[0]);
      },
      sendMessage: (text) => {
        for (const line of splitLines(text)) {
          if (this.#spend(loaded)) server.sendMessage(line, name);
        }
      },
      sendMessageTo: (client, text) => {
        if (!server.client(clientId(client))) return false;
        this.#tell(clientId(client), text, name, loaded);
        return true;
      },
      kick: (client, message) => server.kick({ id: clientId(client) }, message, name).length > 0,
      ban: (target, message) => {
        server.ban("id" in target ? { id: target.id } : { ip: target.ip }, message, name);
      },
      unban: (ip) => server.unban(ip, name),
      accepting: () => server.accepting(),
      setAccepting: (change) => server.setAccepting(change, name),
      startCountdown: (options) => server.startCountdown(options, name),
      status: () => server.status() as unknown as Record<string, unknown>,
      now: () => this.#clock.now(),
      history: typeof this.#history === "function" ? this.#history(name) : this.#history,
      execute: async (line) => (await this.table.execute(line, { server, actor: name })).text,
    };
    return {
      server: Object.freeze(api),
      config: Object.freeze(config),
      respond: (text) => {
        this.#respond(loaded, text);
        return Promise.resolve();
      },
      respondToClient: (client, text) => {
        this.#tell(clientId(client), text, name, loaded);
        return Promise.resolve();
      },
      broadcast: (text) => {
        api.sendMessage(text);
        return Promise.resolve();
      },
    };
  }

  #respond(loaded: Loaded, text: string): void {
    const trigger = this.#als.getStore();
    const client = trigger?.kind === "command" ? trigger.caller.client : trigger?.client;
    if (client) return this.#tell(client.id, text, loaded.name, loaded);
    if (trigger?.kind === "command" && trigger.open) {
      trigger.lines.push(...splitLines(text));
      return;
    }
    // Nobody to answer (a console command that already returned, a server event): the log.
    for (const line of splitLines(text)) {
      log.info("[{plugin}] {line}", { plugin: loaded.name, line });
    }
  }

  #pluginsCommand(): Command {
    return {
      name: "plugins",
      summary: "List the loaded plugins (and those that failed), or reload one",
      subcommands: [{
        name: "reload",
        summary: "Load a plugin again from its file",
        args: [{ name: "name", type: "string", rest: true, doc: "The plugin's name" }],
        run: async (_context, args) => {
          const info = await this.reload(String(args.name));
          return { text: `Reloaded ${info.name} ${info.version}`, data: info };
        },
      }],
      run: () => {
        const plugins = this.list();
        const failures = this.failures();
        const lines = plugins.map((p) =>
          `${p.name} ${p.version} by ${
            p.authors.join(", ") || "?"
          } (${p.license}) from ${p.source}` +
          (p.commands.length ? `; commands: ${p.commands.join(", ")}` : "")
        );
        for (const f of failures) lines.push(`failed: ${f.source}: ${f.error}`);
        return {
          text: lines.length ? lines.join("\n") : "No plugins loaded",
          data: { plugins, failures },
        };
      },
    };
  }
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}

/** How a server event becomes a plugin event: positional arguments, data, and its client. */
interface Bridge {
  source: keyof GhostServerEvents;
  convert(data: never): { args: unknown[]; event: unknown; client?: IClient };
}

function bridge<K extends keyof GhostServerEvents>(
  source: K,
  convert: (data: GhostServerEvents[K]) => { args: unknown[]; event: unknown; client?: IClient },
): Bridge {
  return { source, convert: convert as (data: never) => ReturnType<Bridge["convert"]> };
}

/** The plain events; `clientConnecting` and `clientMessage` are hooks, not events. */
const BRIDGES: Record<Exclude<ServerEventName, "clientConnecting" | "clientMessage">, Bridge> = {
  clientConnected: bridge("connect", (e) => {
    const client = toIClient(e.client);
    return { args: [client], event: { client }, client };
  }),
  clientDisconnected: bridge("disconnect", (e) => {
    const client = toIClient(e.client);
    const event = e.actor === undefined
      ? { client, reason: e.reason }
      : { client, reason: e.reason, actor: e.actor };
    return { args: [client, e.reason], event };
  }),
  mapChange: bridge("mapChange", (e) => {
    const client = toIClient(e.client);
    return {
      args: [client, e.map],
      event: { client, map: e.map, ticks: e.ticks, ticksTotal: e.ticksTotal },
      client,
    };
  }),
  speedrunFinish: bridge("speedrunFinish", (e) => {
    const client = toIClient(e.client);
    return { args: [client, e.time], event: { client, time: e.time }, client };
  }),
  modelChange: bridge("modelChange", (e) => {
    const client = toIClient(e.client);
    return { args: [client, e.model], event: { client, model: e.model }, client };
  }),
  colorChange: bridge("colorChange", (e) => {
    const client = toIClient(e.client);
    return { args: [client, { ...e.color }], event: { client, color: { ...e.color } }, client };
  }),
  taunt: bridge("taunt", (e) => {
    const client = toIClient(e.client);
    return { args: [client, e.animation], event: { client, animation: e.animation }, client };
  }),
  locator: bridge("locator", (e) => {
    const client = toIClient(e.client);
    const position = { ...e.position };
    const normal = { ...e.normal };
    return { args: [client, position, normal], event: { client, position, normal }, client };
  }),
  countdownStart: bridge("countdown", (e) => ({
    args: [e.delay, e.preCommands, e.postCommands],
    event: { ...e },
  })),
  countdownGo: bridge("countdownConfirm", (e) => {
    const client = toIClient(e.client);
    return { args: [client], event: { client }, client };
  }),
  ban: bridge("ban", (e) => ({ args: [e.ip, e.actor], event: { ip: e.ip, actor: e.actor } })),
  unban: bridge("unban", (e) => ({ args: [e.ip, e.actor], event: { ip: e.ip, actor: e.actor } })),
  whitelistChange: bridge("whitelistChange", (e) => ({
    args: [e.action, e.actor],
    event: "entry" in e
      ? { action: e.action, entry: { ...e.entry }, actor: e.actor }
      : { action: e.action, actor: e.actor },
  })),
  acceptingChange: bridge("acceptingChange", (e) => ({
    args: [e.players, e.spectators],
    event: { ...e },
  })),
  serverStart: bridge("listening", (e) => ({ args: [e.hostname, e.port], event: { ...e } })),
  serverStop: bridge("stop", () => ({ args: [], event: {} })),
};
