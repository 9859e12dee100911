/**
 * The package's name and version, from `deno.json`.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };

/** `@ghosting/server 0.1.0` */
export const VERSION_TEXT = `${denoJson.name} ${denoJson.version}`;
