/** Loads the byte-exact frames of `tests/fixtures/protocol_vectors.json` (docs/protocol.md §10). */

export interface ProtocolVector {
  id: string;
  title: string;
  transport: "tcp" | "udp";
  /** The frame as on the wire: TCP frames include their 4-byte length prefix. */
  frame: Uint8Array;
  /** The packet without the TCP length prefix. */
  payload: Uint8Array;
}

const path = new URL("../fixtures/protocol_vectors.json", import.meta.url);

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function load(): Map<string, ProtocolVector> {
  const json = JSON.parse(Deno.readTextFileSync(path)) as {
    vectors: { id: string; title: string; transport: "tcp" | "udp"; hex: string }[];
  };
  const vectors = new Map<string, ProtocolVector>();
  for (const raw of json.vectors) {
    const frame = hexToBytes(raw.hex);
    const payload = raw.transport === "tcp" ? frame.subarray(4) : frame;
    vectors.set(raw.id, { id: raw.id, title: raw.title, transport: raw.transport, frame, payload });
  }
  return vectors;
}

/** All 31 vectors by id (`V1`, `V4a`, …). */
export const VECTORS: ReadonlyMap<string, ProtocolVector> = load();

/** One vector by id; throws when missing so a typo cannot make a test pass. */
export function vector(id: string): ProtocolVector {
  const found = VECTORS.get(id);
  if (!found) throw new Error(`No protocol vector ${id}`);
  return found;
}
