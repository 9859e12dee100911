/**
 * Reading `config.toml`: TOML parsing, then a check of every key against the schema.
 *
 * @module
 */
import { parse, TomlError } from "smol-toml";
import { type Config, CONFIG_SCHEMA, defaultConfig } from "./schema.ts";

/**
 * Bad configuration: the message names the file, the key and the fix, so it can be shown to
 * the operator as is.
 *
 * @example
 * ```ts
 * import { ConfigError, parseConfig } from "@ghosting/server";
 *
 * try {
 *   parseConfig("[server]\nport = 70000\n");
 * } catch (error) {
 *   if (!(error instanceof ConfigError)) throw error;
 *   console.error(error.message); // config.toml: [server] port must be from 0 to 65535, got 70000
 * }
 * ```
 */
export class ConfigError extends Error {
  /** Creates an error whose message is shown to the operator unchanged. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type AnySpec =
  & { refine?: (value: never) => string | undefined }
  & (
    | { type: "boolean" }
    | { type: "integer"; min: number; max: number }
    | { type: "string"; oneOf?: readonly string[] }
    | { type: "array" }
  );

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Date) return "a date";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "a table";
  return String(value);
}

/**
 * Checks one value against its spec and returns an error message, or undefined when valid.
 * Shared by the file loader and the command line so both say the same thing.
 */
export function checkValue(spec: AnySpec, value: unknown): string | undefined {
  const problem = checkType(spec, value);
  if (problem || !spec.refine) return problem;
  return (spec.refine as (value: unknown) => string | undefined)(value);
}

function checkType(spec: AnySpec, value: unknown): string | undefined {
  switch (spec.type) {
    case "boolean":
      return typeof value === "boolean"
        ? undefined
        : `must be true or false, got ${describe(value)}`;
    case "integer":
      if (typeof value === "number" && Number.isInteger(value)) {
        if (value >= spec.min && value <= spec.max) return undefined;
        return `must be from ${spec.min} to ${spec.max}, got ${value}`;
      }
      return `must be an integer from ${spec.min} to ${spec.max}, got ${describe(value)}`;
    case "string":
      if (typeof value !== "string") return `must be a string, got ${describe(value)}`;
      if (spec.oneOf && !spec.oneOf.includes(value)) {
        return `must be one of ${spec.oneOf.map((v) => `"${v}"`).join(", ")}, got "${value}"`;
      }
      return undefined;
    case "array":
      return Array.isArray(value) ? undefined : `must be an array, got ${describe(value)}`;
  }
}

/** The spec of `section.key`, or undefined for an unknown key. */
export function fieldSpec(section: string, key: string): AnySpec | undefined {
  const fields = (CONFIG_SCHEMA as unknown as Record<string, Record<string, AnySpec>>)[section];
  return fields && Object.hasOwn(fields, key) ? fields[key] : undefined;
}

/**
 * Parses TOML text into a complete configuration: missing keys take their defaults; unknown
 * sections or keys, wrong types and out-of-range values raise a {@linkcode ConfigError}.
 *
 * @example
 * ```ts
 * import { GhostServer, optionsFromConfig, parseConfig } from "@ghosting/server";
 *
 * const config = parseConfig(`
 * [server]
 * port = 53001
 *
 * [countdown]
 * delay = 5
 * `);
 * console.log(config.server.port, config.logging.level); // 53001 "info"
 * const server = new GhostServer(optionsFromConfig(config));
 * ```
 *
 * @param source names the file in error messages
 */
export function parseConfig(text: string, source = "config.toml"): Config {
  let document: Record<string, unknown>;
  try {
    document = parse(text);
  } catch (error) {
    if (error instanceof TomlError) {
      throw new ConfigError(
        `${source}: invalid TOML at line ${error.line}, column ${error.column}: ${
          error.message.split("\n")[0]
        }`,
      );
    }
    throw error;
  }
  const config = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
  const sections = Object.keys(CONFIG_SCHEMA);
  for (const [section, table] of Object.entries(document)) {
    if (!sections.includes(section)) {
      throw new ConfigError(
        `${source}: unknown section [${section}]; known sections are ${
          sections.map((s) => `[${s}]`).join(", ")
        }`,
      );
    }
    if (typeof table !== "object" || table === null || Array.isArray(table)) {
      throw new ConfigError(`${source}: ${section} must be a table written as [${section}]`);
    }
    for (const [key, value] of Object.entries(table)) {
      const spec = fieldSpec(section, key);
      if (!spec) {
        throw new ConfigError(
          `${source}: unknown key "${key}" in [${section}]; known keys are ${
            Object.keys(config[section]).join(", ")
          }`,
        );
      }
      const problem = checkValue(spec, value);
      if (problem) throw new ConfigError(`${source}: [${section}] ${key} ${problem}`);
      config[section][key] = value;
    }
  }
  return config as unknown as Config;
}

/**
 * Reads and parses a configuration file. Needs read permission for `path`.
 *
 * @example
 * ```ts
 * import { GhostServer, loadConfig, optionsFromConfig } from "@ghosting/server";
 *
 * const config = await loadConfig("config.toml");
 * const server = new GhostServer(optionsFromConfig(config));
 * ```
 *
 * @throws {ConfigError} when the file is missing, unreadable or invalid
 */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigError(`${path}: no such file; pass an existing file to --config`);
    }
    throw new ConfigError(`${path}: cannot be read: ${(error as Error).message}`);
  }
  return parseConfig(text, path);
}
