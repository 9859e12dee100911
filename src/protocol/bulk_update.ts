/**
 * The bulk UPDATE a server sends every tick (docs/protocol.md §3.10), encoded once for all its
 * recipients, as one TCP frame and as datagrams of bounded size.
 *
 * @module
 */
import { Header } from "./header.ts";
import { PacketWriter } from "./packet_writer.ts";
import { BULK_UPDATE_ENTRY_BYTES, BULK_UPDATE_HEADER_BYTES } from "./packets.ts";
import { FRAME_PREFIX_BYTES } from "./tcp_framing.ts";

/** What an entry of a bulk UPDATE is made of: a client's id and its raw 25-byte pose. */
export interface BulkEntrySource {
  /** The client's id. */
  id: number;
  /** Its latest DataGhost, raw. */
  pose: Uint8Array;
}

/**
 * One tick's bulk UPDATE for a group of clients, encoded once for all of them, in buffers of
 * its own that are never written again: sockets may send them without copying, and keep them
 * until the send completes.
 */
export interface EncodedBulkUpdate {
  /** The whole update as one TCP frame (length prefix included), for TCP-only clients. */
  frame: Uint8Array;
  /**
   * The same entries as datagrams of at most `maxDatagramBytes` (whole entries, each a valid
   * packet with id 0); unsplit, the one datagram is a view of `frame`.
   */
  datagrams: Uint8Array[];
}

/**
 * Builds bulk UPDATEs: `09 | id 0 | count | (id, raw DataGhost)…` for every client of a group
 * including the recipient, in connection order (docs/protocol.md §3.10). SAR drains every pending
 * datagram each frame and applies entries one by one, so an update split into several datagrams
 * reads exactly like one; splitting keeps large lobbies clear of IP fragmentation.
 *
 * @example
 * ```ts
 * import { BulkUpdateEncoder, DATA_GHOST_BYTES } from "@ghosting/server";
 *
 * const encoder = new BulkUpdateEncoder(1200);
 * const clients = Array.from({ length: 50 }, (_, i) => ({
 *   id: i + 1,
 *   pose: new Uint8Array(DATA_GHOST_BYTES),
 * }));
 * const update = encoder.encode(clients, clients.length);
 * console.log(update.frame.length, update.datagrams.length); // 1463 2
 * ```
 */
export class BulkUpdateEncoder {
  readonly #writer = new PacketWriter(1024);
  readonly #entriesPerDatagram: number;

  /** Splits at `maxDatagramBytes`; 0 keeps one datagram whatever its size, as the C++ server. */
  constructor(maxDatagramBytes: number) {
    this.#entriesPerDatagram = maxDatagramBytes === 0 ? Infinity : Math.max(
      1,
      Math.floor((maxDatagramBytes - BULK_UPDATE_HEADER_BYTES) / BULK_UPDATE_ENTRY_BYTES),
    );
  }

  /** Encodes one tick for `count` clients (in the order given), each buffer new. */
  encode(clients: Iterable<BulkEntrySource>, count: number): EncodedBulkUpdate {
    const writer = this.#writer.reset().u32(0).u8(Header.UPDATE).u32(0).u32(count);
    for (const client of clients) writer.u32(client.id).bytes(client.pose);
    writer.patchU32(0, writer.length - FRAME_PREFIX_BYTES);
    const frame = writer.toBytes();
    const payload = frame.subarray(FRAME_PREFIX_BYTES);
    const perDatagram = this.#entriesPerDatagram;
    if (count <= perDatagram) return { frame, datagrams: [payload] };
    const chunks = Math.ceil(count / perDatagram);
    const buffer = new Uint8Array(
      chunks * BULK_UPDATE_HEADER_BYTES + count * BULK_UPDATE_ENTRY_BYTES,
    );
    const view = new DataView(buffer.buffer);
    const datagrams: Uint8Array[] = [];
    let at = 0;
    for (let first = 0; first < count; first += perDatagram) {
      const entries = Math.min(perDatagram, count - first);
      const length = BULK_UPDATE_HEADER_BYTES + entries * BULK_UPDATE_ENTRY_BYTES;
      buffer[at] = Header.UPDATE; // id 0 is already there: the buffer starts zeroed
      view.setUint32(at + 5, entries);
      const from = BULK_UPDATE_HEADER_BYTES + first * BULK_UPDATE_ENTRY_BYTES;
      buffer.set(
        payload.subarray(from, from + entries * BULK_UPDATE_ENTRY_BYTES),
        at + BULK_UPDATE_HEADER_BYTES,
      );
      datagrams.push(buffer.subarray(at, at + length));
      at += length;
    }
    return { frame, datagrams };
  }
}
