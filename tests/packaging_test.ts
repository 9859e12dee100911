/**
 * The set-up a new user gets: README commands, CI script and the container files agree with
 * deno.json. No Docker engine runs here, so the Dockerfile is checked by reading it.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, root));
const denoJson = JSON.parse(read("deno.json")) as { tasks: Record<string, string>; name: string };
const DENO_VERSION = "2.9.6";

/** The permission and V8 flags of a `deno run` command line, sorted. */
function permissions(command: string[]): string[] {
  return command.filter((part) => part.startsWith("--allow-") || part.startsWith("--v8-flags"))
    .sort();
}

Deno.test("README quick start has exactly the two npx commands, and CI runs the test one", () => {
  const readme = read("README.md");
  const commands = readme.match(/^npx -y deno@[\d.]+ task \w+/gm);
  assert.deepEqual(commands, [
    `npx -y deno@${DENO_VERSION} task start`,
    `npx -y deno@${DENO_VERSION} task test`,
  ]);
  const ci = read(".ci/run");
  assert.match(ci, new RegExp(`^npx -y deno@${DENO_VERSION} task test `, "m"));
  assert.match(ci, /deno fmt --check/);
  assert.match(ci, /deno lint/);
  assert.match(ci, /deno check/);
  assert.match(ci, /echo "\$\{passed\} passed, \$\{failed\} failed"/);
});

Deno.test("deno.json names the package and has the documented tasks", () => {
  assert.equal(denoJson.name, "@ghosting/server");
  for (const task of ["start", "server", "test", "check", "client"]) {
    assert.ok(denoJson.tasks[task], task);
  }
});

Deno.test("the Dockerfile runs the server task's command on the README's Deno version", () => {
  const dockerfile = read("Dockerfile");
  assert.match(
    dockerfile,
    new RegExp(`^FROM denoland/deno:${DENO_VERSION.replaceAll(".", "\\.")}$`, "m"),
  );
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? "[]") as string[];
  const task = denoJson.tasks.server.split(" ");
  assert.equal(cmd[0], "run");
  assert.deepEqual(permissions(cmd), permissions(task));
  assert.equal(cmd.find((part) => part.endsWith(".ts")), task.find((part) => part.endsWith(".ts")));
  assert.deepEqual(cmd.slice(-2), ["--config", "/app/config.toml"]);
  assert.match(dockerfile, /^EXPOSE 53000\/tcp 53000\/udp$/m);
  assert.match(dockerfile, /^RUN deno cache --frozen src\/main\.ts /m);
  assert.match(dockerfile, /^USER deno$/m);
});

Deno.test("every path the Dockerfile copies exists and is not docker-ignored", () => {
  const dockerfile = read("Dockerfile");
  const ignored = read(".dockerignore").split("\n").filter(Boolean);
  const copied = [...dockerfile.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1].split(" "));
  assert.deepEqual(copied.sort(), [
    "config.toml",
    "deno.json",
    "deno.lock",
    "mod.ts",
    "plugin.ts",
    "plugins",
    "src",
  ]);
  for (const path of copied) {
    assert.ok(Deno.statSync(new URL(path, root)), path);
    assert.ok(!ignored.includes(path), `${path} is in .dockerignore`);
  }
  // What the copied entry points import must be inside what is copied: the server's modules
  // from src/, the bundled plugins from ../plugin.ts, which imports src/.
  for (const file of ["mod.ts", "plugin.ts"]) {
    for (const [, directory] of read(file).matchAll(/from "\.\/(\w+)\//g)) {
      assert.equal(directory, "src", file);
    }
  }
  for (const entry of Deno.readDirSync(new URL("plugins/", root))) {
    for (const [, target] of read(`plugins/${entry.name}`).matchAll(/from "(\.[^"]*)"/g)) {
      assert.equal(target, "../plugin.ts", `plugins/${entry.name} imports ${target}`);
    }
  }
});

/** The files `deno publish` would upload: deno.json's publish include minus exclude. */
function publishedFiles(): Set<string> {
  const { publish } = JSON.parse(read("deno.json")) as {
    publish: { include: string[]; exclude: string[] };
  };
  const files = new Set<string>();
  const walk = (path: string) => {
    if (publish.exclude.some((out) => path === out || path.startsWith(out))) return;
    if (Deno.statSync(new URL(path, root)).isDirectory) {
      for (const entry of Deno.readDirSync(new URL(path, root))) {
        walk(`${path.replace(/\/$/, "")}/${entry.name}`);
      }
    } else files.add(path);
  };
  for (const path of publish.include) walk(path);
  return files;
}

Deno.test("the published package imports only published files, and leaves the command-line programs out", () => {
  const files = publishedFiles();
  const missing: string[] = [];
  for (const file of files) {
    if (!file.endsWith(".ts")) continue;
    const text = read(file);
    const targets = [
      ...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g),
      ...text.matchAll(/new URL\("(\.{1,2}\/[^"]+\.ts)", import\.meta\.url\)/g),
    ].map((match) => new URL(match[1], new URL(file, root)).href.slice(root.href.length));
    for (const target of targets) {
      if (!files.has(target)) missing.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(missing, []);
  // The server's and the console's programs, and what only they use, stay out.
  for (
    const out of [
      "src/main.ts",
      "src/cli/paths.ts",
      "src/console/remote.ts",
      "src/storage/storage.ts",
      "src/http/storage_history.ts",
    ]
  ) {
    assert.ok(!files.has(out), `${out} is published`);
  }
  for (const entry of ["mod.ts", "plugin.ts", "testing.ts", "protocol.ts", "client.ts"]) {
    assert.ok(files.has(entry), entry);
  }
});

Deno.test("docker compose publishes the port over TCP and UDP and mounts the config", () => {
  const compose = read("docker-compose.yml");
  assert.match(compose, /- "53000:53000\/tcp"/);
  assert.match(compose, /- "53000:53000\/udp"/);
  assert.match(compose, /- \.\/config\.toml:\/app\/config\.toml:ro/);

  assert.match(compose, /stop_signal: SIGINT/);
});

/** Text files tracked by git (binary formats left out). */
async function trackedTextFiles(): Promise<string[]> {
  const listing = await new Deno.Command("git", {
    args: ["ls-files", "-z"],
    cwd: root,
    stdout: "piped",
  }).output();
  const files = new TextDecoder().decode(listing.stdout).split("\0").filter(Boolean);
  assert.ok(files.length > 20, "git ls-files listed the repository");
  return files.filter((file) => !/\.(png|jpg|ico|db)$/.test(file));
}

Deno.test("no tracked file reads or links a path outside the repository", async () => {
  const files = await trackedTextFiles();
  // A relative path that climbs out of the repository from where it is written, or names the
  // reference folder that sat beside the first checkouts.
  const outside =
    /(?:^|[\s"'`(=[])(?:\.\.\/)+shared\b|\bshared\/(?:PROTOCOL\.md|protocol-vectors\.json)/;
  const offenders: string[] = [];
  for (const file of files) {
    const text = read(file);
    text.split("\n").forEach((line, index) => {
      if (outside.test(line) || climbsOut(file, line)) {
        offenders.push(`${file}:${index + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offenders, []);
});

/** Whether a line names a relative path (in a link, import or URL) that leaves the repository. */
function climbsOut(file: string, line: string): boolean {
  const depth = file.split("/").length - 1;
  for (const match of line.matchAll(/(?:\.\.\/)+/g)) {
    const ups = match[0].length / 3;
    if (ups > depth) return true;
  }
  return false;
}

/** Section numbers of docs/protocol.md, from its headings (`## 3. …`, `### 3.16 …`). */
function protocolSections(): Set<string> {
  const headings = read("docs/protocol.md").matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.? /gm);
  return new Set([...headings].map((match) => match[1]));
}

Deno.test("docs/protocol.md has the sections code comments rely on", () => {
  const sections = protocolSections();
  const required = [
    ...["1", "1.1", "1.2", "2", "2.1", "2.2", "2.3", "3", "3.0", "3.3.1", "3.3.2", "3.3.3"],
    ...Array.from({ length: 16 }, (_, i) => `3.${i + 1}`),
    ...["4", "4.1", "4.2", "5", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "6", "7", "8", "10"],
  ];
  assert.deepEqual(required.filter((section) => !sections.has(section)), []);
});

Deno.test("every § cited in the repository is a heading of docs/protocol.md, and README links it", async () => {
  // In this repository "§" always means a section of docs/protocol.md, in the document itself
  // too, and a citation may wrap onto the next line ("docs/protocol.md\n * §3.10").
  const sections = protocolSections();
  const wrong: string[] = [];
  for (const file of await trackedTextFiles()) {
    for (const match of read(file).matchAll(/§(\d+(?:\.\d+)*)( #\d+)?/g)) {
      // An item number after a section ("7 #18") would pass as section 7 while pointing at an
      // item the document does not number.
      if (!sections.has(match[1]) || match[2]) wrong.push(`${file}: ${match[0]}`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.match(read("README.md"), /\]\(docs\/protocol\.md(#[\w-]+)?\)/);
});
