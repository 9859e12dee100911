/**
 * `deno task client`: a SAR-like client in the terminal. It connects, prints what the server
 * sends, sends what you type as chat, answers heartbeats and countdowns like SAR, and while on
 * a map sends its position every 50 ms, walking in a circle so a real SAR sees it move.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createInterface } from "node:readline";
import process from "node:process";
import { type DataGhost, Header, type ServerPacket } from "../protocol/mod.ts";
import { ConnectionRefusedError, type ReceivedPacket, SarClient } from "./sar_client.ts";

const USAGE = `Usage: deno task client --name NAME [options]

  -n, --name NAME          player name (required)
      --host HOST          server address (default 127.0.0.1)
  -p, --port PORT          server port (default 53000)
      --map MAP            map to announce, e.g. sp_a1_intro1 (default: the menu)
      --tcp-only           like ghost_TCP_only 1: no UDP
      --spectator          like ghost_spec_connect
      --local-address IP   bind to this local address (e.g. 127.0.0.5)
      --show-updates       print every bulk update instead of a count every 5 s
  -h, --help               show this help

Type a line to chat. Commands: /map NAME, /color RRGGBB, /model PATH, /taunt [NAME],
/locator, /finish TIME, /ping, /quit`;

const UPDATE_INTERVAL_MS = 50;

function describe(packet: ServerPacket, names: Map<number, string>): string | undefined {
  const who = (id: number) => names.get(id) ?? `#${id}`;
  switch (packet.header) {
    case Header.CONNECT:
      names.set(packet.id, packet.name);
      return `+ ${packet.name} (#${packet.id}) joined${packet.spectator ? " as a spectator" : ""}${
        packet.map ? ` on ${packet.map}` : ""
      }`;
    case Header.DISCONNECT:
      return `- ${who(packet.id)} has disconnected`;
    case Header.STOP_SERVER:
      return "The server is shutting down";
    case Header.MESSAGE:
      return packet.id === 0 ? `SERVER: ${packet.text}` : `${who(packet.id)}: ${packet.text}`;
    case Header.MAP_CHANGE:
      return `${who(packet.id)} is now on ${packet.map}`;
    case Header.COUNTDOWN:
      return "duration" in packet
        ? `Countdown set up: ${packet.duration} s, pre "${packet.preCommands}", post "${packet.postCommands}"`
        : "Countdown: go";
    case Header.SPEEDRUN_FINISH:
      return `${who(packet.id)} has finished in ${packet.time}`;
    case Header.MODEL_CHANGE:
      return `${who(packet.id)} now uses ${packet.model}`;
    case Header.COLOR_CHANGE: {
      const { r, g, b } = packet.color;
      return `${who(packet.id)} changed colour to #${
        [r, g, b].map((c) => c.toString(16).padStart(2, "0")).join("")
      }`;
    }
    case Header.TAUNT:
      return `${who(packet.id)} taunts: ${packet.animation}`;
    case Header.LOCATOR: {
      const { x, y, z } = packet.position;
      return `${who(packet.id)} pinged (${x.toFixed(0)}, ${y.toFixed(0)}, ${z.toFixed(0)})`;
    }
    case Header.VOICE:
      return `${who(packet.id)} speaks (${packet.data.length} bytes)`;
    default:
      return undefined;
  }
}

function poseAt(time: number): DataGhost {
  const angle = time / 2000;
  return {
    position: { x: Math.cos(angle) * 64, y: Math.sin(angle) * 64, z: 0 },
    viewAngle: { x: 0, y: (angle * 180 / Math.PI + 90) % 360, z: 0 },
    viewOffset: 64,
    grounded: true,
  };
}

function parseColor(text: string): { r: number; g: number; b: number } | undefined {
  const match = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(text.trim());
  if (!match) return undefined;
  return { r: parseInt(match[1], 16), g: parseInt(match[2], 16), b: parseInt(match[3], 16) };
}

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: Deno.args,
      options: {
        name: { type: "string", short: "n" },
        host: { type: "string", default: "127.0.0.1" },
        port: { type: "string", short: "p", default: "53000" },
        map: { type: "string", default: "" },
        "tcp-only": { type: "boolean", default: false },
        spectator: { type: "boolean", default: false },
        "local-address": { type: "string" },
        "show-updates": { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(
      `error: --port must be an integer from 1 to 65535, got "${values.port}"\n\n${USAGE}`,
    );
    return 2;
  }
  if (values.name === undefined) {
    console.error(`error: --name is required\n\n${USAGE}`);
    return 2;
  }

  let client: SarClient;
  try {
    client = await SarClient.connect({
      inboxLimit: 0, // everything is printed as it arrives
      host: values.host,
      port,
      name: values.name,
      map: values.map,
      tcpOnly: values["tcp-only"],
      spectator: values.spectator,
      localAddress: values["local-address"],
    });
  } catch (error) {
    if (error instanceof ConnectionRefusedError) {
      console.error(
        error.explanation ? `Refused: ${error.explanation}` : `Refused: ${error.message}`,
      );
      return 1;
    }
    console.error(`Cannot connect to ${values.host}:${port}: ${(error as Error).message}`);
    return 1;
  }

  const names = new Map(client.ghosts.map((ghost) => [ghost.id, ghost.name]));
  console.log(`Connected as #${client.id}; ${client.ghosts.length} other players connected`);
  for (const ghost of client.ghosts) {
    console.log(`  #${ghost.id} ${ghost.name}${ghost.map ? ` on ${ghost.map}` : ""}`);
  }

  let map = values.map;
  let bulkUpdates = 0;
  let pingSentAt = 0;
  client.onPacket = ({ packet }: ReceivedPacket) => {
    if (packet.header === Header.UPDATE) {
      // A split update arrives as several datagrams; the one with our own entry marks the tick.
      if (packet.entries.some((entry) => entry.id === client.id)) bulkUpdates++;
      if (values["show-updates"]) {
        console.log(`update: ${packet.entries.map((e) => `#${e.id}`).join(" ")}`);
      }
      return;
    }
    if (packet.header === Header.PING) {
      console.log(`Ping: ${(performance.now() - pingSentAt).toFixed(1)} ms`);
      return;
    }
    if (packet.header === Header.COUNTDOWN && "duration" in packet) {
      // SAR confirms a setup at once and starts counting when "go" arrives.
      client.send({ header: Header.COUNTDOWN, id: client.id, step: 1 });
    }
    const line = describe(packet, names);
    if (line) console.log(line);
  };

  const updates = setInterval(() => {
    if (map) client.sendUpdate(poseAt(performance.now())).catch(() => {});
  }, UPDATE_INTERVAL_MS);
  const counter = values["show-updates"] ? undefined : setInterval(() => {
    console.log(`(${bulkUpdates} bulk updates in the last 5 s)`);
    bulkUpdates = 0;
  }, 5000);

  const input = createInterface({ input: process.stdin });
  const done = new Promise<void>((resolve) => {
    client.onClose = () => {
      console.log("You have been disconnected");
      resolve();
    };
    input.on("close", () => resolve());
  });
  input.on("line", (line: string) => {
    const [command, ...rest] = line.trim().split(/\s+/);
    const argument = rest.join(" ");
    switch (command) {
      case "":
        return;
      case "/quit":
        input.close();
        return;
      case "/ping":
        pingSentAt = performance.now();
        client.send({ header: Header.PING, id: client.id });
        return;
      case "/map":
        map = argument;
        client.changeMap(map);
        return;
      case "/color": {
        const color = parseColor(argument);
        if (color) client.send({ header: Header.COLOR_CHANGE, id: client.id, color });
        else console.log("Usage: /color RRGGBB");
        return;
      }
      case "/model":
        client.send({ header: Header.MODEL_CHANGE, id: client.id, model: argument });
        return;
      case "/taunt":
        client.send({ header: Header.TAUNT, id: client.id, animation: argument || "wave" });
        return;
      case "/locator": {
        const { position } = poseAt(performance.now());
        client.send({
          header: Header.LOCATOR,
          id: client.id,
          position,
          normal: { x: 0, y: 0, z: 1 },
        });
        return;
      }
      case "/finish":
        client.send({ header: Header.SPEEDRUN_FINISH, id: client.id, time: argument || "0.000" });
        return;
      default:
        if (command.startsWith("/")) console.log(USAGE.slice(USAGE.indexOf("Type a line")));
        else client.sendMessage(line);
    }
  });

  await done;
  clearInterval(updates);
  if (counter !== undefined) clearInterval(counter);
  input.close();
  await client.disconnect();
  return 0;
}

if (import.meta.main) Deno.exit(await main());
