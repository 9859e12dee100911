/**
 * Configuration: the schema with its defaults, and the `config.toml` loader.
 *
 * @module
 */
export * from "./schema.ts";
export * from "./load.ts";
