/**
 * A connected client: what the server remembers about one player or spectator.
 *
 * @module
 */
import {
  type Color,
  DATA_GHOST_BYTES,
  type DataGhost,
  encodeServerPacket,
  type GhostInfoInput,
  Header,
  PacketReader,
} from "../protocol/mod.ts";
import type { ConnectPacket } from "../protocol/mod.ts";
import type { TcpConnection } from "../net/tcp_connection.ts";
import { UdpEndpoint } from "./udp_endpoint.ts";
import type { PlayerLimits } from "./limits.ts";

/**
 * A snapshot of a client, as the public API and events show it. It is a copy: it does not
 * change when the client does, and changing it does not affect the server.
 *
 * @example
 * ```ts
 * import type { ClientInfo, GhostServer } from "@ghosting/server";
 *
 * const describe = (client: ClientInfo) =>
 *   `#${client.id} ${client.name} (${client.spectator ? "spectator" : "player"}) ` +
 *   `on ${client.map || "the menu"}, from ${client.ip}`;
 *
 * function who(server: GhostServer) {
 *   for (const client of server.clients()) console.log(describe(client));
 * }
 * ```
 */
export interface ClientInfo {
  /** The id the server assigned; a server never gives the same id twice. */
  id: number;
  /** The name sent in CONNECT; several clients may share it. */
  name: string;
  /** The TCP peer's IP address. */
  ip: string;
  /** Where UDP goes: the announced port, or the one learned from the client's datagrams. */
  udpPort: number;
  /** Whether the client asked for everything over TCP (SAR's `ghost_TCP_only`). */
  tcpOnly: boolean;
  /** Whether the client joined as a spectator. */
  spectator: boolean;
  /** Current map file name; "" in the menu. */
  map: string;
  /** Current ghost model path. */
  model: string;
  /** Current ghost colour. */
  color: Color;
  /** Latest pose. */
  data: DataGhost;
  /** When the server accepted the client. */
  connectedAt: Date;
}

/** Session state of one accepted connection. */
export class Client {
  readonly id: number;
  readonly connection: TcpConnection;
  readonly ip: string;
  readonly tcpOnly: boolean;
  readonly spectator: boolean;
  readonly connectedAt = new Date();
  readonly udp: UdpEndpoint;
  /** The latest DataGhost exactly as received (stored and forwarded raw, docs/protocol.md §1.1). */
  readonly pose = new Uint8Array(DATA_GHOST_BYTES);
  /** This client's UDP keep-alive, built once: `06 | id | 0` (docs/protocol.md §5.2). */
  readonly udpKeepAlive: Uint8Array;
  name: string;
  model: string;
  map: string;
  color: Color;
  /** Token of the latest TCP heartbeat, and the two-miss state (docs/protocol.md §5.1). */
  heartbeatToken = 0;
  heartbeatReturned = true;
  missedLastHeartbeat = false;
  /** When the last LOCATOR was relayed (docs/protocol.md §3.15). */
  lastLocatorAt = -Infinity;
  /** This client's rates and flood count (`[limits]`). */
  readonly limits: PlayerLimits;

  constructor(
    id: number,
    connection: TcpConnection,
    connect: ConnectPacket,
    rawPose: Uint8Array,
    limits: PlayerLimits,
    now: number,
  ) {
    this.id = id;
    this.connection = connection;
    this.ip = connection.remoteIp;
    this.name = connect.name;
    this.model = connect.model;
    this.map = connect.map;
    this.color = connect.color;
    this.tcpOnly = connect.tcpOnly;
    this.spectator = connect.spectator;
    this.pose.set(rawPose);
    this.udp = new UdpEndpoint(connection.remoteHostname, connect.udpPort, now);
    this.limits = limits;
    this.udpKeepAlive = encodeServerPacket({ header: Header.HEART_BEAT, id, token: 0 });
  }

  /** The pose decoded. */
  data(): DataGhost {
    return new PacketReader(this.pose).dataGhost();
  }

  /** How connect replies and notifications describe this client (pose kept raw). */
  ghostInfo(): GhostInfoInput {
    return {
      id: this.id,
      name: this.name,
      data: this.pose,
      model: this.model,
      map: this.map,
      color: this.color,
      spectator: this.spectator,
    };
  }

  info(): ClientInfo {
    return {
      id: this.id,
      name: this.name,
      ip: this.ip,
      udpPort: this.udp.port,
      tcpOnly: this.tcpOnly,
      spectator: this.spectator,
      map: this.map,
      model: this.model,
      color: { ...this.color },
      data: this.data(),
      connectedAt: new Date(this.connectedAt),
    };
  }
}
