/**
 * A harness for plugin tests: a real server on an ephemeral loopback port with the given
 * plugins, SAR-like clients that connect to it over real sockets, and the console's command
 * line. The server's timers run on a {@linkcode ManualClock}, so timeouts are tested without
 * waiting.
 *
 * @module
 */
import { type CommandTable, createCommandTable } from "../admin/mod.ts";
import { SarClient, type SarClientOptions } from "../client/sar_client.ts";
import { ManualClock } from "../clock.ts";
import { Header } from "../protocol/mod.ts";
import { PluginHost } from "../plugins/host.ts";
import type { Plugin, PluginHistory } from "../plugins/plugin.ts";
import { GhostServer, type GhostServerOptions } from "../server/server.ts";

/**
 * What {@linkcode startTestServer} starts.
 *
 * @example
 * ```ts
 * import type { TestServerOptions } from "@ghosting/server/testing";
 *
 * const options: TestServerOptions = {
 *   sections: { motd: { message: "Hi {name}" } },
 *   admins: ["Boss@127.0.0.1"],
 * };
 * ```
 */
export interface TestServerOptions {
  /** Plugins to load: instances or classes (constructed with no arguments). */
  plugins?: readonly (Plugin | (new () => Plugin))[];
  /** `[plugins.<name>]` sections. */
  sections?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** `[plugins] admins`, as `name@ip`. */
  admins?: readonly string[];
  /** `[plugins] hook_timeout_ms`. Default 1000 (on the manual clock). */
  hookTimeoutMs?: number;
  /** A history for plugins that record finishes. */
  history?: PluginHistory;
  /** More server options (the hostname, port and clock are the harness's). */
  server?: Omit<GhostServerOptions, "hostname" | "port" | "clock">;
}

/**
 * A running test server; `await using` stops it and closes every client.
 *
 * @example
 * ```ts
 * import type { TestServer } from "@ghosting/server/testing";
 *
 * async function everyone(t: TestServer) {
 *   return t.server.clients().map((c) => c.name);
 * }
 * ```
 */
export interface TestServer extends AsyncDisposable {
  /** The server. */
  readonly server: GhostServer;
  /** The plugin host. */
  readonly host: PluginHost;
  /** The admin command table (built-ins and plugin commands). */
  readonly table: CommandTable;
  /** The server's clock: `clock.advance(ms)` fires its timers (hook timeouts included). */
  readonly clock: ManualClock;
  /** The port it listens on (127.0.0.1). */
  readonly port: number;
  /**
   * Connects a SAR-like client. On Linux each client gets its own loopback address
   * (127.0.0.2, .3, …), as different players would; elsewhere all come from 127.0.0.1.
   */
  connect(name: string, options?: Partial<SarClientOptions>): Promise<SarClient>;
  /** Runs a console line; resolves with what the console would print. */
  execute(line: string): Promise<string>;
  /** Closes every client and stops the server. */
  stop(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 with an ephemeral port and the given plugins.
 *
 * @example
 * ```ts
 * import { nextServerMessage, startTestServer } from "@ghosting/server/testing";
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
 * await using t = await startTestServer({ plugins: [Pinger] });
 * const alice = await t.connect("Alice");
 * alice.sendMessage("/ping");
 * console.log(await nextServerMessage(alice)); // "pong!"
 * console.log(await t.execute("ping")); // "pong!"
 * ```
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const clock = new ManualClock();
  const linux = Deno.build.os === "linux";
  const server = new GhostServer({
    ...(linux ? {} : { oneConnectionPerIp: false }),
    ...options.server,
    hostname: "127.0.0.1",
    port: 0,
    clock,
  });
  const table = createCommandTable();
  const host = new PluginHost(server, {
    table,
    admins: options.admins,
    hookTimeoutMs: options.hookTimeoutMs,
    clock,
    history: options.history,
    sections: options.sections,
  });
  for (const plugin of options.plugins ?? []) {
    host.add(typeof plugin === "function" ? new plugin() : plugin, "(test)");
  }
  await server.start();
  const clients: SarClient[] = [];
  let nextHost = 2;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(clients.map((client) => client.close()));
    await server.stop();
    host.close();
  };
  return {
    server,
    host,
    table,
    clock,
    port: server.port,
    async connect(name, extra = {}) {
      const client = await SarClient.connect({
        port: server.port,
        name,
        ...(linux ? { localAddress: `127.0.0.${nextHost++}` } : {}),
        ...extra,
      });
      clients.push(client);
      return client;
    },
    async execute(line) {
      return (await table.execute(line, { server, actor: "console" })).text;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * The text of the next chat line from the server (id 0) that a client receives, optionally
 * the next one matching `match`. Rejects after `timeoutMs`.
 *
 * @example
 * ```ts
 * import { nextServerMessage, startTestServer } from "@ghosting/server/testing";
 *
 * await using t = await startTestServer();
 * const bob = await t.connect("Bob");
 * t.server.sendMessage("hello");
 * console.log(await nextServerMessage(bob, /hel/)); // "hello"
 * ```
 */
export async function nextServerMessage(
  client: SarClient,
  match?: string | RegExp,
  timeoutMs = 5000,
): Promise<string> {
  const received = await client.next((r) => {
    const packet = r.packet;
    if (packet.header !== Header.MESSAGE || packet.id !== 0) return false;
    if (match === undefined) return true;
    return typeof match === "string" ? packet.text === match : match.test(packet.text);
  }, timeoutMs);
  return (received.packet as { text: string }).text;
}

/**
 * The next chat line a client receives from another player: who sent it and the text.
 *
 * @example
 * ```ts
 * import { nextChat, startTestServer } from "@ghosting/server/testing";
 *
 * await using t = await startTestServer();
 * const alice = await t.connect("Alice");
 * const bob = await t.connect("Bob");
 * alice.sendMessage("gl hf");
 * console.log(await nextChat(bob)); // { id: 1, text: "gl hf" }
 * ```
 */
export async function nextChat(
  client: SarClient,
  timeoutMs = 5000,
): Promise<{ id: number; text: string }> {
  const received = await client.next(
    (r) => r.packet.header === Header.MESSAGE && r.packet.id !== 0,
    timeoutMs,
  );
  const packet = received.packet as { id: number; text: string };
  return { id: packet.id, text: packet.text };
}
