/**
 * Checking a plugin's `[plugins.<name>]` section against the schema the plugin declares.
 *
 * @module
 */
import type { ConfigField, ConfigSchema } from "./plugin.ts";

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "a table";
  return String(value);
}

function check(field: ConfigField, value: unknown): string | undefined {
  switch (field.type) {
    case "string":
      return typeof value === "string" ? undefined : `must be a string, got ${describe(value)}`;
    case "boolean":
      return typeof value === "boolean"
        ? undefined
        : `must be true or false, got ${describe(value)}`;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) {
        return `must be an integer from ${field.min} to ${field.max}, got ${describe(value)}`;
      }
      return value >= field.min && value <= field.max
        ? undefined
        : `must be from ${field.min} to ${field.max}, got ${value}`;
    case "string_list":
      return Array.isArray(value) && value.every((item) => typeof item === "string")
        ? undefined
        : `must be an array of strings, got ${describe(value)}`;
  }
}

/**
 * The values of a plugin's section: every key of the schema, from the section or its default.
 *
 * @param where how error messages name the section, e.g. `[plugins.motd]`
 * @throws {TypeError} naming the key and the fix, for an unknown key or a bad value
 */
export function pluginConfig(
  schema: ConfigSchema | undefined,
  section: Readonly<Record<string, unknown>> | undefined,
  where: string,
): Record<string, unknown> {
  const fields = schema ?? {};
  const values: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fields)) {
    const problem = check(field, field.default);
    if (problem) throw new TypeError(`The default of ${key} in the plugin's schema ${problem}`);
    values[key] = Array.isArray(field.default) ? [...field.default] : field.default;
  }
  for (const [key, value] of Object.entries(section ?? {})) {
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!field) {
      const known = Object.keys(fields);
      throw new TypeError(
        `unknown key "${key}" in ${where}; ${
          known.length ? `known keys are ${known.join(", ")}` : "this plugin has no settings"
        }`,
      );
    }
    const problem = check(field, value);
    if (problem) throw new TypeError(`${where} ${key} ${problem}`);
    values[key] = value;
  }
  return values;
}

/** The section name of a plugin: its name in lower case, runs of other characters as `-`. */
export function pluginSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]+/g, "-").replace(/^-+|-+$/g, "");
}
