/**
 * The dashboard end to end in real headless Chromium, against a real GhostServer and its HTTP
 * API on 127.0.0.1, with SAR-like clients: an organiser runs a race from the page. Writes
 * screenshots of every view at desktop and phone widths to test-output/screenshots/.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createCommandTable } from "../../src/admin/mod.ts";
import { SarClient, type SarClientOptions } from "../../src/client/sar_client.ts";
import { HttpApi, MemoryHistory } from "../../src/http/mod.ts";
import { type DataGhost, Header } from "../../src/protocol/mod.ts";
import { GhostServer } from "../../src/server/mod.ts";
import { browserSkipReason, launchBrowser } from "./browser.ts";

const WEB_DIR = new URL("../../src/http/web/", import.meta.url);
const SCREENSHOTS = new URL("../../test-output/screenshots/", import.meta.url);
const ADMIN_TOKEN = "admin-token-for-the-browser-test";
const READ_TOKEN = "read-token-for-the-browser-test";
const TOKENS = [
  { name: "organiser", token: ADMIN_TOKEN, scope: "admin" as const },
  { name: "viewer", token: READ_TOKEN, scope: "read" as const },
];
const VIEWS = ["players", "map", "chat", "race", "moderation", "history"] as const;
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const EVIL_NAME = `<img src=x onerror="document.title='pwned'">`;

function pose(x: number, y: number, z = 64): DataGhost {
  return {
    position: { x, y, z },
    viewAngle: { x: 0, y: 90, z: 0 },
    viewOffset: 64,
    grounded: true,
  };
}

/** Fails the test on anything the page should never do: script errors, CSP violations, dialogs. */
function watch(page: Page, problems: string[], origin: string) {
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("dialog", (dialog) => {
    problems.push(`unexpected browser dialog: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on("console", (message) => {
    const text = message.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
    else if (message.type() === "error" && !/WebSocket|Failed to load resource/.test(text)) {
      problems.push(`console error: ${text}`);
    }
  });
  page.on("request", (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith("data:")) {
      problems.push(`request to another origin: ${request.url()}`);
    }
  });
}

async function signIn(page: Page, base: string, token: string) {
  await page.goto(base);
  await page.getByLabel("Access token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("body[data-live=open]").waitFor();
}

async function show(page: Page, view: string) {
  await page.getByRole("tab", { name: new RegExp(`^${view}$`, "i") }).click();
  await page.locator(`#view-${view}`).waitFor({ state: "visible" });
}

/**
 * The colour of the canvas pixel where the page's own plot puts world position x, y. In-page
 * code is written as text: the test program is type-checked without the DOM's types.
 */
function pixelAt(page: Page, map: string, dots: { x: number; y: number }[], x: number, y: number) {
  return page.evaluate(`(async ({ map, dots, x, y }) => {
    const plot = await import("/plot.js");
    const canvas = document.querySelector(\`figure[data-map="\${map}"] canvas\`);
    const view = plot.fitView(dots, canvas.clientWidth, canvas.clientHeight);
    const { px, py } = plot.project(view, x, y);
    const ratio = canvas.width / canvas.clientWidth;
    const data = canvas.getContext("2d")
      .getImageData(Math.round(px * ratio), Math.round(py * ratio), 1, 1).data;
    return [data[0], data[1], data[2]];
  })(${JSON.stringify({ map, dots, x, y })})`) as Promise<number[]>;
}

/** Waits until `check` holds, polling; fails after 5 s naming `what`. */
async function until(what: string, check: () => Promise<boolean>) {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Not within 5 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test({
  name: "dashboard in Chromium: an organiser runs a race from the page",
  ignore: browserSkipReason !== undefined,
  async fn(t) {
    const server = new GhostServer({ hostname: "127.0.0.1", port: 0 });
    await server.start();
    const history = new MemoryHistory();
    const detach = history.attach(server);
    const commands = createCommandTable();
    const options = { port: 0, tokens: TOKENS, history, staticDir: WEB_DIR };
    let http = new HttpApi(server, commands, options);
    const { port } = http.start();
    const origin = `http://127.0.0.1:${port}`;
    const base = `${origin}/`;
    const clients: SarClient[] = [];
    let host = 2;
    const connect = async (name: string, extra: Partial<SarClientOptions> = {}) => {
      const client = await SarClient.connect({
        port: server.port,
        name,
        localAddress: `127.0.0.${host++}`,
        ...extra,
      });
      clients.push(client);
      return client;
    };
    const browser = await launchBrowser();
    const problems: string[] = [];
    try {
      browser.context.setDefaultTimeout(10_000);
      const page = await browser.context.newPage();
      watch(page, problems, origin);
      // Live channel frames the page receives, by type.
      const received = new Map<string, number>();
      page.on("websocket", (socket) => {
        socket.on("framereceived", ({ payload }) => {
          const type = /"type":"(\w+)"/.exec(String(payload))?.[1] ?? "?";
          received.set(type, (received.get(type) ?? 0) + 1);
        });
      });
      // Later steps build on earlier ones: after a failure they are skipped, not timed out.
      let failed = false;
      const step = async (name: string, fn: () => Promise<void>) => {
        const ok = await t.step({ name, ignore: failed, fn });
        if (!ok) failed = true;
      };

      await step("the page signs in with an admin token", async () => {
        await page.goto(base);
        assert.equal(await page.locator("#login").isVisible(), true);
        await Deno.mkdir(SCREENSHOTS, { recursive: true });
        for (const [size, viewport] of Object.entries(SIZES)) {
          await page.setViewportSize(viewport);
          await page.screenshot({ path: new URL(`login-${size}.png`, SCREENSHOTS).pathname });
        }
        await page.setViewportSize(SIZES.desktop);
        // A wrong token is refused and forgotten.
        await page.getByLabel("Access token").fill("not-a-token");
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.locator("#login-error", { hasText: "refused" }).waitFor();
        assert.equal(await page.evaluate('sessionStorage.getItem("ghosting.token")'), null);
        await signIn(page, base, ADMIN_TOKEN);
        assert.equal(await page.locator("#scope-badge").textContent(), "admin");
        // The token is in this tab's sessionStorage, never in the URL.
        assert.doesNotMatch(page.url(), new RegExp(ADMIN_TOKEN));
        assert.equal(
          await page.evaluate('sessionStorage.getItem("ghosting.token")'),
          ADMIN_TOKEN,
        );
      });

      await step(
        "its content security policy refuses inline scripts and other origins",
        async () => {
          const blocked = await page.evaluate(`(async () => {
            const violations = [];
            document.addEventListener("securitypolicyviolation", (event) => {
              violations.push(event.violatedDirective);
            });
            const script = document.createElement("script");
            script.textContent = "document.body.dataset.inline = 'ran'";
            document.body.append(script);
            const handler = document.createElement("div");
            handler.setAttribute("onclick", "document.body.dataset.inline = 'ran'");
            document.body.append(handler);
            handler.click();
            handler.remove();
            script.remove();
            let fetched = true;
            try {
              await fetch("http://127.0.0.2:9/");
            } catch {
              fetched = false;
            }
            await new Promise((resolve) => setTimeout(resolve, 50));
            return { ran: document.body.dataset.inline ?? "", fetched, violations };
          })()`) as { ran: string; fetched: boolean; violations: string[] };
          assert.equal(blocked.ran, "", "no inline script or handler ran");
          assert.equal(blocked.fetched, false);
          assert.ok(blocked.violations.includes("script-src-elem"), `${blocked.violations}`);
          assert.ok(blocked.violations.includes("connect-src"), `${blocked.violations}`);
          // The server sends the policy as a header too (frame-ancestors works only there).
          const response = await fetch(base);
          await response.body?.cancel();
          const header = response.headers.get("content-security-policy") ?? "";
          assert.match(header, /default-src 'none'/);
          assert.match(header, /script-src 'self'/);
          assert.match(header, /frame-ancestors 'none'/);
          assert.doesNotMatch(header, /unsafe-inline|unsafe-eval/);
          // Those violations were the point: forget them, and only them.
          await page.waitForTimeout(50);
          const expected = (p: string) => p.startsWith("CSP:") || p.includes("127.0.0.2:9");
          problems.splice(0, problems.length, ...problems.filter((p) => !expected(p)));
        },
      );

      const map = "sp_a2_laser_intro";
      const alice = await connect("Alice", { map, color: { r: 255, g: 64, b: 0 } });
      const bob = await connect("Bob", { map, color: { r: 0, g: 160, b: 255 } });

      await step(
        "a client appears in the players list and on the map; its dot moves",
        async () => {
          const row = page.locator("#players-table tbody tr", { hasText: "Alice" });
          await row.waitFor();
          const cells = await row.locator("td").allTextContents();
          assert.equal(cells[0], "Alice");
          assert.equal(cells[1], String(alice.id));
          assert.equal(cells[2], map);
          assert.match(cells[4], /#ff4000/);
          assert.equal(cells[5], "player");
          await page.locator("#status-players", { hasText: "2" }).waitFor();

          await alice.sendUpdate(pose(100, 200));
          await bob.sendUpdate(pose(-400, -100));
          // Positions flow only while the map is shown: they cost the server work per tick.
          await page.waitForTimeout(300);
          assert.equal(received.get("positions") ?? 0, 0, "no positions while the map is hidden");
          await show(page, "map");
          await until(
            "positions arrive",
            () => Promise.resolve((received.get("positions") ?? 0) > 0),
          );
          const aliceXy = page.locator(`#map-plots li[data-id="${alice.id}"] .xy`);
          await aliceXy.filter({ hasText: "x 100, y 200" }).waitFor();
          await page.locator(`#map-plots li[data-id="${bob.id}"] .xy`)
            .filter({ hasText: "x -400, y -100" }).waitFor();
          let dots = [{ x: 100, y: 200 }, { x: -400, y: -100 }];
          assert.deepEqual(await pixelAt(page, map, dots, 100, 200), [255, 64, 0]);
          assert.deepEqual(await pixelAt(page, map, dots, -400, -100), [0, 160, 255]);

          await alice.sendUpdate(pose(900, -700));
          await aliceXy.filter({ hasText: "x 900, y -700" }).waitFor();
          await page.waitForTimeout(100); // the redraw happens on the next animation frame
          dots = [{ x: 900, y: -700 }, { x: -400, y: -100 }];
          assert.deepEqual(await pixelAt(page, map, dots, 900, -700), [255, 64, 0]);
          assert.notDeepEqual(await pixelAt(page, map, dots, 100, 200), [255, 64, 0]);
        },
      );

      await step("a chat line from a client appears", async () => {
        await show(page, "chat");
        await page.waitForTimeout(150); // a positions message may already be on its way
        const positions = received.get("positions");
        await page.waitForTimeout(300);
        assert.equal(received.get("positions"), positions, "positions stop when the map is left");
        bob.sendMessage("gl hf <b>everyone</b>");
        const line = page.locator("#chat-log li", { hasText: "gl hf" });
        await line.waitFor();
        assert.equal(await line.locator(".from").textContent(), "Bob");
        assert.equal(await line.locator(".text").textContent(), "gl hf <b>everyone</b>");
        assert.equal(await page.locator("#chat-log b").count(), 0);
      });

      await step("messages typed in the page reach the clients", async () => {
        await page.getByLabel("Message", { exact: true }).fill("Race starts in 2 minutes");
        await page.getByRole("button", { name: "Send" }).click();
        const toAll = (r: { packet: { header: number; id?: number; text?: string } }) =>
          r.packet.header === Header.MESSAGE && r.packet.id === 0 &&
          r.packet.text === "Race starts in 2 minutes";
        await alice.next(toAll);
        await bob.next(toAll);

        await page.getByLabel("Send to").selectOption({ label: `Alice (${alice.id})` });
        await page.getByLabel("Message", { exact: true }).fill("only for you");
        await page.getByRole("button", { name: "Send" }).click();
        await alice.next((r) =>
          r.packet.header === Header.MESSAGE && r.packet.text === "only for you"
        );
        await bob.ping();
        assert.ok(
          !bob.inbox.some((r) =>
            r.packet.header === Header.MESSAGE && r.packet.text === "only for you"
          ),
          "a message to Alice does not reach Bob",
        );
        await page.locator("#chat-log li", { hasText: "only for you" })
          .filter({ hasText: "Server → Alice" }).waitFor();

        // From the player's row too, through a dialog.
        await show(page, "players");
        await page.getByRole("button", { name: `Message Bob (${bob.id})` }).click();
        await page.getByRole("dialog").getByLabel("Message").fill("you are next");
        await page.getByRole("dialog").getByRole("button", { name: "Send" }).click();
        await bob.next((r) =>
          r.packet.header === Header.MESSAGE && r.packet.text === "you are next"
        );
      });

      await step(
        "a countdown started from the page reaches the clients with its commands",
        async () => {
          await show(page, "race");
          await page.getByLabel("Duration (seconds)").fill("3");
          await page.getByLabel("Commands before the countdown").fill("sar_speedrun_reset");
          await page.getByLabel("Commands after the countdown").fill("sar_speedrun_start");
          // A preset round trip: save, clear the form, pick it again.
          await page.getByLabel("New preset name").fill("Laser intro");
          await page.getByRole("button", { name: "Save as preset" }).click();
          await page.getByLabel("Commands after the countdown").fill("something else");
          await page.getByLabel("Preset", { exact: true }).selectOption("Laser intro");
          await page.getByRole("button", { name: "Use preset" }).click();
          assert.equal(
            await page.getByLabel("Commands after the countdown").inputValue(),
            "sar_speedrun_start",
          );
          await page.getByRole("button", { name: "Start countdown" }).click();
          for (const client of [alice, bob]) {
            const { packet } = await client.nextOf(Header.COUNTDOWN);
            assert.deepEqual(packet, {
              header: Header.COUNTDOWN,
              id: 0,
              step: 0,
              duration: 3,
              preCommands: "sar_speedrun_reset",
              postCommands: "sar_speedrun_start",
            });
          }
          assert.deepEqual(server.countdownSettings(), {
            delay: 3,
            preCommands: "sar_speedrun_reset",
            postCommands: "sar_speedrun_start",
          });
          // The countdown closed the doors to players; the toggle follows, and reopens them.
          const acceptPlayers = page.getByLabel("Accept new players");
          await until(
            "the toggle shows players refused",
            async () => !(await acceptPlayers.isChecked()),
          );
          await acceptPlayers.check();
          await until(
            "the server accepts players again",
            () => Promise.resolve(server.accepting().players),
          );

          // Finishes, in order of time.
          bob.send({ header: Header.SPEEDRUN_FINISH, id: bob.id, time: "1:02.500" });
          alice.send({ header: Header.SPEEDRUN_FINISH, id: alice.id, time: "58.250" });
          await page.locator("#results-table tbody tr").nth(1).waitFor();
          const rows = await page.locator("#results-table tbody tr").allInnerTexts();
          assert.match(rows[0], /1\s+Alice\s+58\.250/);
          assert.match(rows[1], /2\s+Bob\s+1:02\.500/);
        },
      );

      await step(
        "after a reload the token is kept and the results come from the history",
        async () => {
          await page.reload();
          await page.locator("body[data-live=open]").waitFor();
          await show(page, "race");
          await page.locator("#results-table tbody tr").nth(1).waitFor();
          const rows = await page.locator("#results-table tbody tr").allInnerTexts();
          assert.match(rows[0], /1\s+Alice\s+58\.250/);
          assert.match(rows[1], /2\s+Bob\s+1:02\.500/);
          assert.equal(await page.getByLabel("Duration (seconds)").inputValue(), "3");
        },
      );

      let evil: SarClient;
      await step("a malicious player name renders as text", async () => {
        evil = await connect(EVIL_NAME);
        await show(page, "players");
        const cell = page.locator("#players-table tbody td.name").filter({ hasText: "<img" });
        await cell.waitFor();
        assert.equal(await cell.textContent(), EVIL_NAME);
        assert.equal(await page.locator("#app img").count(), 0);
        evil.sendMessage(`<script>document.title="pwned"</script>`);
        await show(page, "chat");
        await page.locator("#chat-log li", { hasText: "<script>" }).waitFor();
        assert.equal(await page.locator("#chat-log script").count(), 0);
        assert.equal(await page.title(), "Ghost server");
      });

      await step("ban from the page, with who and when, and the whitelist", async () => {
        await show(page, "players");
        await page.getByRole("button", { name: `Ban ${EVIL_NAME} (${evil.id})` }).click();
        await page.getByRole("dialog").getByLabel("Reason").fill("griefing the race");
        await page.getByRole("dialog").getByRole("button", { name: "Ban" }).click();
        await evil.closed;
        await show(page, "moderation");
        const ban = page.locator("#bans-table tbody tr", { hasText: "127.0.0.4" });
        await ban.waitFor();
        assert.match(await ban.innerText(), /organiser/);
        assert.match(await ban.innerText(), /griefing the race/);
        assert.deepEqual(server.bannedIps(), ["127.0.0.4"]);

        await page.getByLabel("Kind").selectOption("name");
        await page.getByLabel("Name or IP").fill("Alice");
        await page.getByRole("button", { name: "Add", exact: true }).click();
        await page.locator("#whitelist-list li", { hasText: "Alice" }).waitFor();
        assert.deepEqual(server.whitelist().names, ["Alice"]);
        await page.getByLabel("Only whitelisted clients may join").check();
        await until("the whitelist is on", () => Promise.resolve(server.whitelist().enabled));
        await page.getByLabel("Only whitelisted clients may join").uncheck();
        await until("the whitelist is off", () => Promise.resolve(!server.whitelist().enabled));
        await page.getByRole("button", { name: "Remove Alice from the whitelist" }).click();
        await page.locator("#whitelist-empty").waitFor({ state: "visible" });
        assert.deepEqual(server.whitelist().names, []);
        await page.getByLabel("Name or IP").fill("Alice");
        await page.getByRole("button", { name: "Add", exact: true }).click();
        await page.locator("#whitelist-list li", { hasText: "Alice" }).waitFor();
      });

      await step("the tabs work from the keyboard", async () => {
        await show(page, "players");
        await page.getByRole("tab", { name: "Players" }).focus();
        await page.keyboard.press("ArrowRight");
        await page.locator("#view-map").waitFor({ state: "visible" });
        assert.equal(await page.evaluate("document.activeElement.id"), "tab-map");
        await page.keyboard.press("End");
        await page.locator("#view-history").waitFor({ state: "visible" });
        await page.keyboard.press("ArrowRight"); // wraps around
        await page.locator("#view-players").waitFor({ state: "visible" });
        assert.equal(
          await page.getByRole("tab", { name: "Players" }).getAttribute("aria-selected"),
          "true",
        );
      });

      await step("the history lists the events, filtered by type", async () => {
        await show(page, "history");
        await page.locator("#history-table tbody tr", { hasText: "speedrunFinish" }).first()
          .waitFor();
        await page.getByLabel("Type").selectOption("ban");
        await page.getByRole("button", { name: "Filter" }).click();
        const rows = page.locator("#history-table tbody tr");
        await until(
          "only the ban is listed",
          async () => (await rows.count()) === 1 && (await rows.innerText()).includes("ban"),
        );
        assert.match(await page.locator("#history-table tbody").innerText(), /127\.0\.0\.4/);
        await page.getByLabel("Type").selectOption("");
        // A time window: nothing happened tomorrow, everything since yesterday.
        const local = (ms: number) => {
          const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
          return d.toISOString().slice(0, 16);
        };
        await page.getByLabel("Since").fill(local(Date.now() + 86_400_000));
        await page.getByRole("button", { name: "Filter" }).click();
        await page.locator("#history-message", { hasText: "No matching events" }).waitFor();
        assert.equal(await rows.count(), 0);
        await page.getByLabel("Since").fill(local(Date.now() - 86_400_000));
        await page.getByRole("button", { name: "Filter" }).click();
        await until("events since yesterday are listed", async () => (await rows.count()) > 5);
        await page.getByLabel("Since").fill("");
        await page.getByRole("button", { name: "Filter" }).click();
      });

      await step("screenshots of each view at desktop and phone widths", async () => {
        await Deno.mkdir(SCREENSHOTS, { recursive: true });
        await alice.sendUpdate(pose(300, 100));
        for (const [size, viewport] of Object.entries(SIZES)) {
          await page.setViewportSize(viewport);
          for (const view of VIEWS) {
            await show(page, view);
            await page.waitForTimeout(150);
            const path = new URL(`${view}-${size}.png`, SCREENSHOTS);
            await page.screenshot({ path: path.pathname, fullPage: true });
            // Nothing wider than the screen: no sideways scrolling on a phone.
            const overflow = await page.evaluate(
              "document.documentElement.scrollWidth - document.documentElement.clientWidth",
            );
            assert.equal(overflow, 0, `${view} at ${size} width scrolls sideways`);
            // Every visible control has an accessible name.
            const unnamed = await page.evaluate(`[...document.querySelectorAll(
              "#view-${view} button, #view-${view} input, #view-${view} select, header button"
            )].filter((el) => el.offsetParent !== null && !(
              (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") ||
              el.textContent.trim()
            )).map((el) => el.outerHTML)`) as string[];
            assert.deepEqual(unnamed, [], `${view}: controls without a name`);
            assert.ok((await Deno.stat(path)).size > 1000, `${path.pathname} was written`);
          }
        }
        await page.setViewportSize(SIZES.desktop);
      });

      await step("unban from the page", async () => {
        await show(page, "moderation");
        await page.getByRole("button", { name: "Unban 127.0.0.4" }).click();
        await page.getByRole("dialog").getByRole("button", { name: "Unban" }).click();
        await page.locator("#bans-empty").waitFor({ state: "visible" });
        assert.deepEqual(server.bannedIps(), []);
      });

      await step("kicking from the page disconnects the client", async () => {
        await show(page, "players");
        await page.getByRole("button", { name: `Kick Alice (${alice.id})` }).click();
        // The confirmation can be cancelled, from the keyboard too…
        await page.getByRole("dialog").waitFor();
        await page.keyboard.press("Escape");
        await page.getByRole("dialog").waitFor({ state: "hidden" });
        await page.getByRole("button", { name: `Kick Alice (${alice.id})` }).click();
        await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
        await alice.ping();
        assert.equal(server.client(alice.id)?.name, "Alice");
        // …or confirmed.
        await page.getByRole("button", { name: `Kick Alice (${alice.id})` }).click();
        await page.getByRole("dialog").getByRole("button", { name: "Kick" }).click();
        await alice.closed;
        await page.locator("#players-table tbody tr", { hasText: "Alice" }).waitFor({
          state: "detached",
        });
      });

      await step("a read token sees the server but no controls", async () => {
        const viewer = await browser.context.newPage();
        watch(viewer, problems, origin);
        await signIn(viewer, base, READ_TOKEN);
        assert.equal(await viewer.locator("#scope-badge").textContent(), "view only");
        await viewer.locator("#players-table tbody tr", { hasText: "Bob" }).waitFor();
        for (const view of VIEWS) {
          await show(viewer, view);
          const buttons = await viewer.locator(`#view-${view} button:visible`).allTextContents();
          const allowed = view === "history" ? ["Filter", "Newer", "Older"] : [];
          assert.deepEqual(buttons.filter((b) => !allowed.includes(b)), [], `${view}: ${buttons}`);
          for (const input of await viewer.locator(`#view-${view} input[type=checkbox]`).all()) {
            assert.equal(await input.isDisabled(), true);
          }
        }
        assert.equal(await viewer.locator("#chat-form").isVisible(), false);
        await show(viewer, "players");
        await viewer.screenshot({
          path: new URL("players-read-only.png", SCREENSHOTS).pathname,
          fullPage: true,
        });
        // The organiser's header counts both viewers.
        await page.locator("#status-viewers", { hasText: "2" }).waitFor();
        await viewer.close();
        await page.locator("#status-viewers", { hasText: "1" }).waitFor();
      });

      await step("the banner shows when the live channel drops, and it reconnects", async () => {
        await http.stop();
        await page.locator("#banner", { hasText: "Live connection lost" }).waitFor();
        await page.locator("#banner", { hasText: "Reconnecting in" }).waitFor();
        await page.screenshot({ path: new URL("banner-desktop.png", SCREENSHOTS).pathname });
        // Back on the same port: the page finds it by itself (the backoff stays under 3 s for
        // the first attempts), with no click.
        http = new HttpApi(server, commands, { ...options, port });
        http.start();
        await page.locator("body[data-live=open]").waitFor({ timeout: 20_000 });
        assert.equal(await page.locator("#banner").isVisible(), false);
        await page.locator("#players-table tbody tr", { hasText: "Bob" }).waitFor();
      });

      await step("signing out forgets the token", async () => {
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.locator("#login").waitFor({ state: "visible" });
        assert.equal(await page.evaluate('sessionStorage.getItem("ghosting.token")'), null);
      });

      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await Promise.all(clients.map((client) => client.close()));
      await http.stop();
      detach();
      await server.stop();
    }
  },
});
