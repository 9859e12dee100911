/**
 * Who the load clients are: address, name, map, transport, colour, and whether each one
 * measures staleness.
 *
 * @module
 */
import type { Color } from "../../src/protocol/mod.ts";
import { clientAddress } from "./addresses.ts";

/** One client of the run. */
export interface ClientPlan {
  index: number;
  localAddress: string;
  name: string;
  map: string;
  tcpOnly: boolean;
  color: Color;
  /** Whether this client is one of the staleness receivers. */
  sampleStaleness: boolean;
}

/** Real single-player maps first, so a log or a SAR spectator shows familiar names. */
const MAP_NAMES = [
  "sp_a1_intro1",
  "sp_a1_intro2",
  "sp_a1_intro3",
  "sp_a1_intro4",
  "sp_a1_intro5",
  "sp_a1_intro6",
  "sp_a1_intro7",
  "sp_a1_wakeup",
  "sp_a2_intro",
  "sp_a2_laser_intro",
];

/** The name of map number `index` (0-based): a real map, then `load_map_<n>`. */
export function mapName(index: number): string {
  return MAP_NAMES[index] ?? `load_map_${index}`;
}

/**
 * Whether item `index` is among `share × total` items spread evenly over 0 … total − 1:
 * true where `floor(index × share)` steps up, so the picks are as far apart as possible.
 */
function spread(index: number, share: number): boolean {
  return Math.floor((index + 1) * share) > Math.floor(index * share);
}

/**
 * Picks `count` of `indices`, evenly spread. The first one is taken from the middle of its
 * stride, not the end, so two spreads over the same indices rarely coincide.
 */
function pickEvenly(indices: number[], count: number): Set<number> {
  const picked = new Set<number>();
  if (count <= 0 || indices.length === 0) return picked;
  const stride = indices.length / Math.min(count, indices.length);
  for (let at = stride / 2; at < indices.length && picked.size < count; at += stride) {
    picked.add(indices[Math.floor(at)]);
  }
  return picked;
}

/**
 * The plan for `clients` clients: `floor(clients × tcpOnlyRatio)` TCP-only ones spread
 * evenly, client i on map i mod `maps`, and `stalenessReceivers` receivers split between
 * UDP and TCP-only clients in proportion, so both delivery paths are measured.
 */
export function planClients(
  clients: number,
  tcpOnlyRatio: number,
  maps: number,
  stalenessReceivers: number,
): ClientPlan[] {
  const tcpOnly = Array.from({ length: clients }, (_, i) => spread(i, tcpOnlyRatio));
  const tcpIndices = tcpOnly.flatMap((tcp, i) => tcp ? [i] : []);
  const udpIndices = tcpOnly.flatMap((tcp, i) => tcp ? [] : [i]);
  const receivers = Math.min(stalenessReceivers, clients);
  let tcpReceivers = Math.round(receivers * tcpIndices.length / clients);
  // One TCP-only receiver at least, when there are TCP-only clients and receivers at all.
  if (tcpReceivers === 0 && tcpIndices.length > 0 && receivers > 1) tcpReceivers = 1;
  const sampled = new Set([
    ...pickEvenly(tcpIndices, tcpReceivers),
    ...pickEvenly(udpIndices, receivers - tcpReceivers),
  ]);
  return tcpOnly.map((tcp, index) => ({
    index,
    localAddress: clientAddress(index),
    name: `load${index}`,
    map: mapName(index % maps),
    tcpOnly: tcp,
    // Distinct colours make the ghosts tell apart when someone watches with SAR.
    color: { r: (index * 67) & 0xff, g: (index * 151) & 0xff, b: (index * 29 + 128) & 0xff },
    sampleStaleness: sampled.has(index),
  }));
}
