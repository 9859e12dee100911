/**
 * The SAR ghost protocol codec on its own: packet types, encoders and decoders, TCP framing
 * and bulk UPDATE encoding, pure functions over bytes (no sockets).
 *
 * ```ts
 * import { decodeClientPacket, encodeClientPacket, Header } from "@ghosting/server/protocol";
 *
 * const bytes = encodeClientPacket({ header: Header.MESSAGE, id: 3, text: "gl hf" });
 * console.log(decodeClientPacket(bytes)); // { header: 7, id: 3, text: "gl hf" }
 * ```
 *
 * @module
 */
export * from "./src/protocol/mod.ts";
