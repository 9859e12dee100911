/**
 * Test plugins against a real server: {@linkcode startTestServer} starts one on an ephemeral
 * loopback port with the given plugins, and its `connect` gives SAR-like clients that talk to
 * it over real sockets. The rest of the server package is re-exported, for the types tests use. The rest of the server package is re-exported, for the types tests use.
 *
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
 * ```
 *
 * @module
 */
export * from "./src/testing/mod.ts";
// Everything a test touches (the server, its events, the client, the codec) is public here too.
export * from "./mod.ts";
