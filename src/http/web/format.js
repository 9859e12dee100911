// Formatting shared by the views. Pure functions: the Deno tests import this module.

/**
 * "1 h 02 min", "3 min 07 s", "12 s".
 *
 * @param {number} ms
 * @returns {string}
 */
export function duration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  if (hours > 0) return `${hours} h ${two(minutes)} min`;
  if (minutes > 0) return `${minutes} min ${two(seconds)} s`;
  return `${seconds} s`;
}

/**
 * A colour as CSS hex, from `{r, g, b}` bytes; grey for anything else.
 *
 * @param {unknown} color
 * @returns {string}
 */
export function cssColor(color) {
  if (!color || typeof color !== "object") return "#808080";
  const { r, g, b } = /** @type {{ r: unknown, g: unknown, b: unknown }} */ (color);
  const byte = (/** @type {unknown} */ v) =>
    typeof v === "number" && Number.isFinite(v) ? Math.min(255, Math.max(0, Math.round(v))) : 128;
  return "#" + [r, g, b].map((v) => byte(v).toString(16).padStart(2, "0")).join("");
}

/**
 * Local time of day, "14:03:07", for a Date, ISO string or epoch ms.
 *
 * @param {Date | string | number | undefined} at
 * @returns {string}
 */
export function clock(at) {
  const date = at instanceof Date ? at : new Date(at ?? Date.now());
  if (Number.isNaN(date.getTime())) return "–";
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/**
 * Local date and time, for a Date, ISO string or epoch ms.
 *
 * @param {Date | string | number | undefined} at
 * @returns {string}
 */
export function dateTime(at) {
  const date = at instanceof Date ? at : new Date(at ?? Date.now());
  if (Number.isNaN(date.getTime())) return "–";
  return date.toLocaleString([], {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

/**
 * A map file name for people: "sp_a1_intro1" stays, "" is "menu".
 *
 * @param {string | undefined} map
 * @returns {string}
 */
export function mapName(map) {
  return map ? map : "menu";
}

/**
 * SAR's finish times are strings like "1:23.456"; sorts them by their value in seconds.
 * Unparseable times sort last, in arrival order.
 *
 * @param {string} time
 * @returns {number}
 */
export function finishSeconds(time) {
  const parts = String(time).trim().split(":");
  if (parts.length > 3 || parts.some((part) => !/^\d+(\.\d+)?$/.test(part))) return Infinity;
  return parts.reduce((total, part) => total * 60 + Number(part), 0);
}
