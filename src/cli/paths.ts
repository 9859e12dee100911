/**
 * Where relative paths on the command line point: the directory the user ran the command in.
 *
 * @module
 */

/**
 * The directory the user typed the command in: `deno task` runs tasks in the directory of
 * `deno.json` and passes the original one as `INIT_CWD`; without it, the current directory.
 * Reading `INIT_CWD` needs `--allow-env=INIT_CWD`; without that permission the current
 * directory is used.
 */
export function invocationDirectory(): string {
  const status = Deno.permissions.querySync({ name: "env", variable: "INIT_CWD" });
  const initCwd = status.state === "granted" ? Deno.env.get("INIT_CWD") : undefined;
  return initCwd || Deno.cwd();
}
