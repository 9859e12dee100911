/**
 * The built-in admin commands: the C++ server's console set with its behaviour, ours
 * (`status`, `countdown clear`, `msg`), and the original Deno server's names as aliases.
 *
 * @module
 */
import { parseIp } from "../net/address.ts";
import type { ClientInfo } from "../server/client.ts";
import { MAX_COUNTDOWN_DELAY } from "../server/countdown.ts";
import type { GhostServer } from "../server/server.ts";
import { type Command, type CommandContext, type CommandOutput, defineCommand } from "./command.ts";
import { CommandError } from "./command_error.ts";
import { type PlayerSelector, resolvePlayers } from "./selector.ts";
import { CommandTable } from "./table.ts";

function clientData(client: ClientInfo) {
  return {
    id: client.id,
    name: client.name,
    ip: client.ip,
    udpPort: client.udpPort,
    spectator: client.spectator,
    tcpOnly: client.tcpOnly,
    map: client.map,
    connectedAt: client.connectedAt.toISOString(),
  };
}

function names(clients: readonly ClientInfo[]): string {
  return clients.map((client) => `${client.name} (${client.id})`).join(", ");
}

const player = {
  name: "player",
  type: "player",
  doc: "id, name, IP, or name|id|ip <value>",
} as const;

// ---------------------------------------------------------------- help, list, status, stop

const help = defineCommand({
  name: "help",
  readOnly: true,
  summary: "List the commands, or explain one",
  args: [{ name: "command", type: "string", optional: true, rest: true, doc: "A command name" }],
  run({ table }, { command }) {
    if (command !== undefined) {
      const words = command.split(/\s+/);
      let node: Command | undefined = table.get(words[0]);
      const path = [words[0].toLowerCase()];
      for (const word of words.slice(1)) {
        node = node?.subcommands?.find((sub) => sub.name === word.toLowerCase());
        path.push(word.toLowerCase());
      }
      if (!node) throw new CommandError(`Unknown command: '${command}'`);
      const lines = [`${table.usage(path, node)}  — ${node.summary}`];
      for (const sub of node.subcommands ?? []) {
        lines.push(`  ${table.usage([...path, sub.name], sub)}  — ${sub.summary}`);
      }
      for (const arg of node.args ?? []) lines.push(`  ${arg.name}: ${arg.doc}`);
      if (node.aliasOf) lines.push(`  (same as: ${node.aliasOf})`);
      return { text: lines.join("\n") };
    }
    const commands = table.commands();
    const main = commands.filter((c) => !c.aliasOf);
    const aliases = commands.filter((c) => c.aliasOf);
    const lines = ["Available commands:"];
    for (const c of main) {
      if (c.subcommands?.length) {
        for (const sub of c.subcommands) {
          lines.push(`  ${table.usage([c.name, sub.name], sub)}  — ${sub.summary}`);
        }
        if (c.run) {
          lines.push(`  ${table.usage([c.name], { ...c, subcommands: [] })}  — ${c.summary}`);
        }
      } else {
        lines.push(`  ${table.usage([c.name], c)}  — ${c.summary}`);
      }
    }
    if (aliases.length) lines.push(`Older names: ${aliases.map((c) => c.name).join(", ")}`);
    lines.push("Players: an id, a name (quoted if it has spaces), an IP, or name|id|ip <value>");
    return {
      text: lines.join("\n"),
      data: commands.map((c) => ({ name: c.name, summary: c.summary, aliasOf: c.aliasOf })),
    };
  },
});

const list = defineCommand({
  name: "list",
  readOnly: true,
  summary: "List connected clients: id, name, IP and UDP port",
  run({ server }) {
    const clients = server.clients();
    const text = clients.length === 0 ? "No clients" : [
      "Clients:",
      ...clients.map((c) =>
        `  ${String(c.id).padEnd(3)} ${c.name} @ ${c.ip}:${c.udpPort}${
          c.spectator ? " (spectator)" : ""
        }`
      ),
    ].join("\n");
    return { text, data: clients.map(clientData) };
  },
});

const status = defineCommand({
  name: "status",
  readOnly: true,
  summary: "Show uptime, clients, admin state and health counters",
  run({ server }) {
    const s = server.status();
    const drops = Object.entries(s.drops).map(([reason, count]) => `${reason} ${count}`);
    const text = [
      `Server ${s.state} on ${s.hostname}:${s.port} since ${s.startedAt ?? "-"} (up ${
        Math.floor(s.uptimeMs / 1000)
      } s), UDP backend ${s.udpBackend ?? "-"}`,
      `Clients: ${s.players} players, ${s.spectators} spectators`,
      `Accepting: players ${s.accepting.players ? "yes" : "no"}, spectators ${
        s.accepting.spectators ? "yes" : "no"
      }`,
      `Whitelist: ${
        s.whitelist.enabled ? "on" : "off"
      } (${s.whitelist.names.length} names, ${s.whitelist.ips.length} IPs); banned IPs: ${s.bannedIps}`,
      `Countdown: ${s.countdown.delay} s, pre '${s.countdown.preCommands}', post '${s.countdown.postCommands}'`,
      `Dropped packets: ${
        drops.length ? drops.join(", ") : "none"
      }; UDP sends dropped: ${s.sendsDropped}`,
      `Bulk tick lateness: mean ${s.tickLateness.meanMs.toFixed(1)} ms, max ${
        s.tickLateness.maxMs.toFixed(1)
      } ms over ${s.tickLateness.ticks} ticks`,
    ].join("\n");
    return { text, data: s };
  },
});

async function stopServer({ server }: CommandContext): Promise<CommandOutput> {
  if (!server.running) return { text: "Server is not running" };
  await server.stop();
  return { text: "Server stopped" };
}

const stop = defineCommand({
  name: "stop",
  summary: "Stop the server gracefully",
  run: stopServer,
});

// ---------------------------------------------------------------- countdown

function startCountdown(
  { server, actor }: CommandContext,
  seconds: number | undefined,
): CommandOutput {
  const wasAccepting = server.accepting().players;
  server.startCountdown(seconds === undefined ? {} : { delay: seconds }, actor);
  const settings = server.countdownSettings();
  const delay = seconds ?? settings.delay;
  return {
    text: [
      `Countdown starting: ${delay} seconds`,
      ...(settings.preCommands ? [`Pre-command: ${settings.preCommands}`] : []),
      ...(settings.postCommands ? [`Post-command: ${settings.postCommands}`] : []),
      ...(wasAccepting ? ["Now refusing new players ('accept players' reopens)"] : []),
    ].join("\n"),
    data: { delay, preCommands: settings.preCommands, postCommands: settings.postCommands },
  };
}

const countdownText = (which: string) => ({
  name: "commands",
  type: "string",
  rest: true,
  doc: `Console commands every client runs ${which}, e.g. sv_cheats 0; say go`,
} as const);

const countdown = defineCommand({
  name: "countdown",
  summary: "Start a countdown with the stored settings",
  subcommands: [
    defineCommand({
      name: "pre",
      summary: "Set the commands every client runs when the countdown is set up",
      args: [countdownText("at the setup")],
      run({ server, actor }, { commands }) {
        server.setCountdownSettings({ preCommands: commands }, actor);
        return { text: `Pre-countdown commands: ${commands}` };
      },
    }),
    defineCommand({
      name: "post",
      summary: "Set the commands every client runs at go",
      args: [countdownText("at go")],
      run({ server, actor }, { commands }) {
        server.setCountdownSettings({ postCommands: commands }, actor);
        return { text: `Post-countdown commands: ${commands}` };
      },
    }),
    defineCommand({
      name: "start",
      summary: "Start a countdown now; new players are refused from now on",
      args: [{
        name: "seconds",
        type: "integer",
        min: 0,
        max: MAX_COUNTDOWN_DELAY,
        optional: true,
        doc: `Seconds counted down in chat (0–${MAX_COUNTDOWN_DELAY}); default: the stored delay`,
      }],
      run: (context, { seconds }) => startCountdown(context, seconds),
    }),
    defineCommand({
      name: "clear",
      summary: "Clear the stored pre and post commands",
      run({ server, actor }) {
        server.setCountdownSettings({ preCommands: "", postCommands: "" }, actor);
        return { text: "Countdown commands cleared" };
      },
    }),
  ],
  run: (context) => startCountdown(context, undefined),
});

// ---------------------------------------------------------------- kick, ban, unban

/** Explicit forms and IPs may mean several clients (as in the C++ server); one word means one. */
function several(selector: PlayerSelector): "one" | "all" {
  return selector.explicit || "ip" in selector ? "all" : "one";
}

function kick(context: CommandContext, selector: PlayerSelector): CommandOutput {
  const { server, actor } = context;
  const targets = resolvePlayers(server, selector, several(selector));
  const kicked = targets.flatMap((target) => server.kick({ id: target.id }, undefined, actor));
  return { text: `Kicked ${names(kicked)}`, data: kicked.map(clientData) };
}

function ban(context: CommandContext, selector: PlayerSelector): CommandOutput {
  const { server, actor } = context;
  let result: { ips: string[]; kicked: ClientInfo[] };
  if ("ip" in selector) {
    result = server.ban({ ip: selector.ip }, undefined, actor);
  } else {
    const targets = resolvePlayers(server, selector, several(selector));
    const ips = [...new Set(targets.map((target) => target.ip))];
    result = { ips: [], kicked: [] };
    for (const ip of ips) {
      const one = server.ban({ ip }, undefined, actor);
      result.ips.push(...one.ips);
      result.kicked.push(...one.kicked);
    }
  }
  const lines = result.ips.map((ip) => `Banned IP ${ip}`);
  if (result.ips.length === 0) lines.push("Already banned");
  if (result.kicked.length) lines.push(`Disconnected ${names(result.kicked)}`);
  return {
    text: lines.join("\n"),
    data: { ips: result.ips, kicked: result.kicked.map(clientData) },
  };
}

const kickCommand = defineCommand({
  name: "kick",
  summary: "Disconnect a player (every one from an IP, or every one with a name given as name <n>)",
  args: [player],
  run: (context, { player }) => kick(context, player),
});

const banCommand = defineCommand({
  name: "ban",
  summary: "Ban a player's IP (or an IP, connected or not) and disconnect everyone from it",
  args: [player],
  subcommands: [
    defineCommand({
      name: "list",
      summary: "List banned IPs",
      readOnly: true,
      run({ server }) {
        const ips = server.bannedIps();
        return {
          text: ips.length
            ? ["Banned IPs:", ...ips.map((ip) => `  ${ip}`)].join("\n")
            : "No banned IPs",
          data: ips,
        };
      },
    }),
  ],
  run: (context, { player }) => ban(context, player),
});

const unban = defineCommand({
  name: "unban",
  summary: "Lift the ban of an IP",
  args: [{ name: "ip", type: "ip", doc: "The banned IP" }],
  run({ server, actor }, { ip }) {
    if (!server.unban(ip, actor)) throw new CommandError(`IP ${ip} is not banned`);
    return { text: `Unbanned IP ${ip}` };
  },
});

// ---------------------------------------------------------------- accept, refuse

type Group = "players" | "spectators" | "all";

function setAccepting(
  { server, actor }: CommandContext,
  group: Group,
  accept: boolean,
): CommandOutput {
  const change = group === "all"
    ? { players: accept, spectators: accept }
    : group === "players"
    ? { players: accept }
    : { spectators: accept };
  server.setAccepting(change, actor);
  const who = group === "all" ? "players and spectators" : group;
  return {
    text: `Now ${accept ? "accepting" : "refusing"} new ${who}`,
    data: server.accepting(),
  };
}

const groupArg = {
  name: "who",
  type: "choice",
  choices: ["players", "spectators", "all"],
  doc: "Which new connections",
} as const;

const accept = defineCommand({
  name: "accept",
  summary: "Accept new players, spectators or both",
  args: [groupArg],
  run: (context, { who }) => setAccepting(context, who, true),
});

const refuse = defineCommand({
  name: "refuse",
  summary: "Refuse new players, spectators or both (connected clients stay)",
  args: [groupArg],
  run: (context, { who }) => setAccepting(context, who, false),
});

// ---------------------------------------------------------------- say, msg

const messageArg = {
  name: "message",
  type: "string",
  rest: true,
  maxLength: 1000,
  doc: "The text, shown as SERVER: <text>",
} as const;

function say({ server, actor }: CommandContext, message: string): CommandOutput {
  server.sendMessage(message, actor);
  return { text: `[server message] ${message}` };
}

const sayCommand = defineCommand({
  name: "say",
  summary: "Send a server message to everyone",
  args: [messageArg],
  run: (context, { message }) => say(context, message),
});

const msg = defineCommand({
  name: "msg",
  summary: "Send a server message to one player only",
  args: [player, messageArg],
  run({ server, actor }, { player, message }) {
    const [target] = resolvePlayers(server, player, "one");
    if (!server.sendMessageTo(target.id, message, actor)) {
      throw new CommandError(`${target.name} (${target.id}) has just left`);
    }
    return { text: `[server message to ${target.name} (${target.id})] ${message}` };
  },
});

// ---------------------------------------------------------------- whitelist

function whitelistText(server: GhostServer): string {
  const { enabled, names, ips } = server.whitelist();
  const lines = names.length + ips.length === 0 ? ["Whitelist is empty"] : [
    "Whitelist entries:",
    ...names.map((name) => `  Name: ${name}`),
    ...ips.map((ip) => `  IP:   ${ip}`),
  ];
  lines.push(`Whitelist is currently ${enabled ? "on" : "off"}`);
  return lines.join("\n");
}

const entryArgs = [
  {
    name: "kind",
    type: "choice",
    choices: ["name", "ip"],
    doc: "Whether the value is a name or an IP",
  },
  { name: "value", type: "string", doc: "The name (matched ignoring case) or IP" },
] as const;

function entry(kind: "name" | "ip", value: string): { name: string } | { ip: string } {
  if (kind === "name") return { name: value };
  const ip = parseIp(value);
  if (ip === undefined) throw new CommandError(`Invalid IP address '${value}'`);
  return { ip };
}

const whitelist = defineCommand({
  name: "whitelist",
  summary: "Show the whitelist and whether it is on",
  subcommands: [
    defineCommand({
      name: "on",
      summary:
        "Enforce the whitelist on new connections (nobody is kicked; an empty list lets nobody in)",
      run({ server, actor }) {
        server.setWhitelistEnabled(true, actor);
        const { names, ips } = server.whitelist();
        return {
          text: "Whitelist now enabled" +
            (names.length + ips.length === 0 ? " (it is empty: nobody new can join)" : ""),
        };
      },
    }),
    defineCommand({
      name: "off",
      summary: "Stop enforcing the whitelist",
      run({ server, actor }) {
        server.setWhitelistEnabled(false, actor);
        return { text: "Whitelist now disabled" };
      },
    }),
    defineCommand({
      name: "kick",
      summary: "Disconnect every client not on the whitelist",
      run({ server, actor }) {
        const kicked = server.kickNotWhitelisted(undefined, actor);
        return {
          text: kicked.length
            ? `Kicked all non-whitelisted clients: ${names(kicked)}`
            : "Every client is on the whitelist",
          data: kicked.map(clientData),
        };
      },
    }),
    defineCommand({
      name: "list",
      summary: "List the whitelist entries",
      readOnly: true,
      run: ({ server }) => ({ text: whitelistText(server), data: server.whitelist() }),
    }),
    defineCommand({
      name: "add",
      summary: "Add a name or an IP",
      args: entryArgs,
      run({ server, actor }, { kind, value }) {
        const label = kind === "name" ? "name" : "IP";
        const item = entry(kind, value);
        const shown = "name" in item ? item.name : item.ip;
        return server.whitelistAdd(item, actor)
          ? { text: `Added ${label} '${shown}' to whitelist` }
          : { text: `${label === "name" ? "Name" : "IP"} '${shown}' is already on the whitelist` };
      },
    }),
    defineCommand({
      name: "remove",
      summary: "Remove a name or an IP",
      args: entryArgs,
      run({ server, actor }, { kind, value }) {
        const label = kind === "name" ? "name" : "IP";
        const item = entry(kind, value);
        const shown = "name" in item ? item.name : item.ip;
        if (!server.whitelistRemove(item, actor)) {
          throw new CommandError(
            `${label === "name" ? "Name" : "IP"} '${shown}' is not on the whitelist`,
          );
        }
        return { text: `Removed ${label} '${shown}' from whitelist` };
      },
    }),
  ],
  readOnly: true,
  run: ({ server }) => ({ text: whitelistText(server), data: server.whitelist() }),
});

// ---------------------------------------------------------------- the original Deno server's names

function alias(
  name: string,
  aliasOf: string,
  command: Omit<Command, "name" | "aliasOf">,
): Command {
  return { ...command, name, aliasOf };
}

const idArg = (verb: string) => ({
  name: "id",
  type: "integer",
  min: 0,
  max: 0xffffffff,
  doc: `The id 'list' shows`,
  prompt: `ID of player to ${verb}: `,
} as const);

const aliases: Command[] = [
  alias("exit", "stop", { summary: "Stop the server gracefully", run: stopServer }),
  alias(
    "countdown_set",
    "countdown pre …; countdown post …; and the delay",
    defineCommand({
      name: "countdown_set",
      summary: "Set the countdown's pre commands, post commands and delay",
      args: [
        {
          ...countdownText("at the setup"),
          name: "pre",
          rest: false,
          allowEmpty: true,
          prompt: "Pre-countdown command: ",
        },
        {
          ...countdownText("at go"),
          name: "post",
          rest: false,
          allowEmpty: true,
          prompt: "Post-countdown command: ",
        },
        {
          name: "seconds",
          type: "integer",
          min: 0,
          max: MAX_COUNTDOWN_DELAY,
          doc: `Seconds counted down in chat (0–${MAX_COUNTDOWN_DELAY})`,
          prompt: "Countdown duration: ",
        },
      ],
      run({ server, actor }, { pre, post, seconds }) {
        server.setCountdownSettings(
          { preCommands: pre, postCommands: post, delay: seconds },
          actor,
        );
        return { text: "Initialized countdown" };
      },
    }),
  ),
  alias(
    "disconnect",
    "kick name <name>",
    defineCommand({
      name: "disconnect",
      summary: "Disconnect every player with this exact name",
      args: [{
        name: "name",
        type: "string",
        rest: true,
        doc: "The exact name",
        prompt: "Name of player to disconnect: ",
      }],
      run: (context, { name }) => kick(context, { name, explicit: true }),
    }),
  ),
  alias(
    "disconnect_id",
    "kick id <id>",
    defineCommand({
      name: "disconnect_id",
      summary: "Disconnect the player with this id",
      args: [idArg("disconnect")],
      run: (context, { id }) => kick(context, { id, explicit: true }),
    }),
  ),
  alias(
    "ban_id",
    "ban id <id>",
    defineCommand({
      name: "ban_id",
      summary: "Ban the IP of the player with this id",
      args: [idArg("ban")],
      run: (context, { id }) => ban(context, { id, explicit: true }),
    }),
  ),
  ...(["players", "spectators"] as const).flatMap((group) => [
    alias(`accept_${group}`, `accept ${group}`, {
      summary: `Accept new ${group}`,
      run: (context) => setAccepting(context, group, true),
    }),
    alias(`refuse_${group}`, `refuse ${group}`, {
      summary: `Refuse new ${group}`,
      run: (context) => setAccepting(context, group, false),
    }),
  ]),
  alias(
    "server_msg",
    "say <message…>",
    defineCommand({
      name: "server_msg",
      summary: "Send a server message to everyone",
      args: [{ ...messageArg, prompt: "Message to send: " }],
      run: (context, { message }) => say(context, message),
    }),
  ),
];

/**
 * The built-in commands, fresh objects each call: `help`, `list`, `status`, `countdown …`,
 * `kick`, `ban …`, `unban`, `accept`, `refuse`, `say`, `msg`, `whitelist …`, `stop`, and the
 * old names `exit`, `countdown_set`, `disconnect`, `disconnect_id`, `ban_id`,
 * `accept_players`, `refuse_players`, `accept_spectators`, `refuse_spectators`, `server_msg`
 * (bare `countdown` starts a countdown, as the old `countdown` did).
 *
 * @example
 * ```ts
 * import { builtinCommands } from "@ghosting/server";
 *
 * console.log(builtinCommands().map((command) => command.name).join(" "));
 * ```
 */
export function builtinCommands(): Command[] {
  return [
    help,
    list,
    status,
    countdown,
    kickCommand,
    banCommand,
    unban,
    accept,
    refuse,
    sayCommand,
    msg,
    whitelist,
    stop,
    ...aliases,
  ];
}

/**
 * A command table holding the built-in commands; plugins add theirs with
 * {@linkcode CommandTable.register}.
 *
 * @example
 * ```ts
 * import { createCommandTable, GhostServer } from "@ghosting/server";
 *
 * const server = new GhostServer();
 * const table = createCommandTable();
 * const { text } = await table.execute("whitelist add name Alice", { server, actor: "console" });
 * console.log(text); // Added name 'Alice' to whitelist
 * ```
 */
export function createCommandTable(): CommandTable {
  return new CommandTable(builtinCommands());
}
