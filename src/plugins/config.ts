/**
 * Checking a plugin's `[plugins.<name>]` section against the schema the plugin declares, with
 * the checks and messages of `config.toml`'s own keys.
 *
 * @module
 */
import { checkValue } from "../config/mod.ts";
import type { ConfigSchema } from "./plugin.ts";

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
    const problem = checkValue(field, field.default);
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
    const problem = checkValue(field, value);
    if (problem) throw new TypeError(`${where} ${key} ${problem}`);
    values[key] = value;
  }
  return values;
}

/** The section name of a plugin: its name in lower case, runs of other characters as `-`. */
export function pluginSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]+/g, "-").replace(/^-+|-+$/g, "");
}
