/**
 * The Docker deployment, checked by parsing the Dockerfile and docker-compose.yml (no Docker
 * engine runs on our machines): offline start, non-root user, owned data and log folders,
 * ports, a health check that asks the server, and compose's restart, volumes and console.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";

const root = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, root));

interface Instruction {
  keyword: string;
  /** The arguments as written (continuation lines joined). */
  text: string;
}

/** Dockerfile instructions in order (comments dropped, `\` continuations joined). */
function parseDockerfile(text: string): Instruction[] {
  const logical = text.replace(/\\\n/g, " ").split("\n");
  return logical
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), text: rest.join(" ") };
    });
}

/** The JSON (exec) form of CMD or HEALTHCHECK's CMD. */
function execForm(text: string): string[] {
  const json = text.slice(text.indexOf("["));
  return JSON.parse(json) as string[];
}

const dockerfile = parseDockerfile(read("Dockerfile"));
const denoJson = JSON.parse(read("deno.json")) as {
  imports: Record<string, string>;
  tasks: Record<string, string>;
};

function one(keyword: string): Instruction {
  const found = dockerfile.filter((i) => i.keyword === keyword);
  assert.equal(found.length, 1, `one ${keyword}`);
  return found[0];
}

/** Bare import names used by files under `dir`. */
function importsUnder(dir: string): Set<string> {
  const used = new Set<string>();
  const walk = (url: URL) => {
    for (const entry of Deno.readDirSync(url)) {
      const child = new URL(entry.isDirectory ? `${entry.name}/` : entry.name, url);
      if (entry.isDirectory) walk(child);
      else if (entry.name.endsWith(".ts")) {
        for (const match of Deno.readTextFileSync(child).matchAll(/from "([^".][^"]*)"/g)) {
          used.add(match[1]);
        }
      }
    }
  };
  walk(new URL(dir, root));
  return used;
}

Deno.test("Dockerfile: dependencies of the server and console only, cached at build time, as a non-root user", () => {
  assert.equal(dockerfile[0].keyword, "FROM");
  assert.equal(dockerfile[0].text, "denoland/deno:2.9.6");
  const runs = dockerfile.filter((i) => i.keyword === "RUN").map((i) => i.text);
  const cache = runs.find((text) => text.includes("deno cache"));
  assert.ok(cache, "a RUN caches the dependencies");
  // The server, the console and every bundled plugin (loaded at run time, so named here).
  const bundled = [...Deno.readDirSync(new URL("plugins/", root))]
    .filter((entry) => entry.isFile && entry.name.endsWith(".ts"))
    .map((entry) => `plugins/${entry.name}`).sort();
  assert.ok(bundled.includes("plugins/race_helper.ts"));
  assert.equal(
    /deno cache --frozen (.*)$/.exec(cache)?.[1],
    ["src/main.ts", "src/console/remote.ts", ...bundled].join(" "),
  );
  // The packages no file under src/ or plugins/ imports (test packages) are removed before
  // caching.
  const used = new Set([...importsUnder("src/"), ...importsUnder("plugins/")]);
  const testOnly = Object.keys(denoJson.imports).filter((name) => !used.has(name)).sort();
  assert.ok(testOnly.includes("fast-check"));
  const remove = runs.find((text) => text.includes("deno remove"));
  assert.ok(remove, "a RUN removes the test-only packages");
  const removed = /deno remove ([\w\s@/-]+?) &&/.exec(remove)?.[1].split(/\s+/).sort();
  assert.deepEqual(removed, testOnly);
  // Caching runs as the user that runs the server, after the source is copied.
  const index = (pred: (i: Instruction) => boolean) => dockerfile.findIndex(pred);
  const user = index((i) => i.keyword === "USER");
  assert.equal(dockerfile[user].text, "deno");
  assert.ok(user < index((i) => i.text === cache));
  assert.ok(index((i) => i.text === remove) < index((i) => i.text === cache));
  assert.ok(index((i) => i.keyword === "COPY" && i.text.startsWith("src")) < user);
});

Deno.test("Dockerfile: data/ and logs/ exist and belong to the server's user; ports; health check asks the server", () => {
  const runs = dockerfile.filter((i) => i.keyword === "RUN").map((i) => i.text);
  assert.ok(runs.includes("mkdir -p /app/data /app/logs && chown deno:deno /app/data /app/logs"));
  assert.equal(one("WORKDIR").text, "/app");
  assert.equal(one("EXPOSE").text, "53000/tcp 53000/udp");
  const health = one("HEALTHCHECK").text;
  const command = execForm(health);
  // The same config as the server, so a changed [storage] path is followed.
  assert.deepEqual(command, ["deno", "task", "console", "--config", "/app/config.toml", "status"]);
  assert.ok(denoJson.tasks.console.includes("src/console/remote.ts"));
  const cmd = execForm(one("CMD").text);
  assert.ok(cmd.includes("src/main.ts"));
  assert.ok(!cmd.includes("--no-console"), "the console reads standard input (docker attach)");
});

Deno.test("docker-compose.yml: restart policy, both ports, config read-only, data and logs volumes, attachable console", () => {
  const compose = parse(read("docker-compose.yml")) as {
    services: Record<string, Record<string, unknown>>;
    volumes?: Record<string, unknown>;
  };
  const service = compose.services.ghosting;
  assert.ok(service, "a service named ghosting (docker compose exec ghosting …)");
  assert.equal(service.restart, "unless-stopped");
  assert.deepEqual(service.ports, ["53000:53000/tcp", "53000:53000/udp"]);
  const volumes = service.volumes as string[];
  assert.ok(volumes.includes("./config.toml:/app/config.toml:ro"));
  const targets = volumes.map((v) => v.split(":")[1]);
  assert.ok(targets.includes("/app/data"));
  assert.ok(targets.includes("/app/logs"));
  for (const volume of volumes.filter((v) => !v.startsWith("."))) {
    assert.ok(compose.volumes && volume.split(":")[0] in compose.volumes, `${volume} declared`);
  }
  assert.equal(service.stdin_open, true);
  assert.equal(service.tty, true);
  assert.equal(service.stop_signal, "SIGINT");
});
