import assert from "node:assert/strict";
import { LOCKOUT_FAILURES } from "../../src/http/auth.ts";
import { MAX_BODY_BYTES } from "../../src/http/mod.ts";
import { ManualClock, type TimerId } from "../../src/clock.ts";
import { ADMIN, READ, withHttp } from "./helpers.ts";

/** Routes that would end the test's server when run with an admin token. */
const STOPPING = new Set(["/api/v1/stop", "/api/v1/exit", "/stopServer"]);

Deno.test("every route: no token 401, bad token 401, read token 403 on admin routes, admin passes", async () => {
  await withHttp({}, async (t) => {
    const routes = t.http.routes();
    assert.ok(routes.length > 40, `only ${routes.length} routes`);
    for (const route of routes) {
      const label = `${route.method} ${route.path}`;
      if (route.scope === "none") {
        if (route.path.endsWith("/live")) continue; // WebSocket: tested in live_test.ts
        const open = await t.request(route.method, route.path);
        assert.equal(open.status, 200, label);
        continue;
      }
      const none = await t.request(route.method, route.path);
      assert.equal(none.status, 401, `${label} without a token`);
      assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
      const bad = await t.request(route.method, route.path, { token: "not-a-token-0123456789" });
      assert.equal(bad.status, 401, `${label} with a bad token`);
      t.clock.advance(61_000); // keep under the lockout: it is tested on its own
      const read = await t.request(route.method, route.path, { token: READ });
      if (route.scope === "admin") {
        assert.equal(read.status, 403, `${label} with a read token`);
        assert.match(read.json().error as string, /admin token/);
      } else {
        assert.ok(![401, 403, 404, 405].includes(read.status), `${label} read: ${read.status}`);
      }
      if (STOPPING.has(route.path)) continue;
      const admin = await t.request(route.method, route.path, { token: ADMIN });
      assert.ok(
        ![401, 403, 404, 405, 500].includes(admin.status),
        `${label} admin: ${admin.status} ${admin.text}`,
      );
    }
    assert.ok(t.server.running);
  });
});

Deno.test("10 bad tokens within a minute lock the IP out for 60 s, good token included", async () => {
  await withHttp({}, async (t) => {
    for (let i = 1; i < LOCKOUT_FAILURES; i++) {
      assert.equal((await t.request("GET", "/api/v1/status", { token: `wrong-${i}` })).status, 401);
    }
    const last = await t.request("GET", "/api/v1/status", { token: "wrong-last" });
    assert.equal(last.status, 429);
    assert.equal(last.headers.get("retry-after"), "60");
    const good = await t.request("GET", "/api/v1/status", { token: ADMIN });
    assert.equal(good.status, 429, "a locked-out IP is refused even with a good token");
    assert.equal((await t.request("GET", "/health")).status, 200, "health needs no token");
    t.clock.advance(59_000);
    assert.equal((await t.request("GET", "/api/v1/status", { token: ADMIN })).status, 429);
    t.clock.advance(1_001);
    assert.equal((await t.request("GET", "/api/v1/status", { token: ADMIN })).status, 200);
  });
});

Deno.test("failures older than a minute do not count towards the lockout", async () => {
  await withHttp({}, async (t) => {
    for (let i = 1; i < LOCKOUT_FAILURES; i++) {
      await t.request("GET", "/api/v1/status", { token: `wrong-${i}` });
    }
    t.clock.advance(60_001);
    assert.equal((await t.request("GET", "/api/v1/status", { token: "wrong" })).status, 401);
  });
});

Deno.test("bodies over 64 KiB are refused with 413, declared or streamed", async () => {
  await withHttp({}, async (t) => {
    const message = "x".repeat(MAX_BODY_BYTES);
    const big = await t.request("POST", "/api/v1/say", { token: ADMIN, body: { message } });
    assert.equal(big.status, 413);
    assert.deepEqual(big.json(), {
      error: `The body is larger than ${MAX_BODY_BYTES} bytes`,
      field: "body",
    });
    const chunk = new TextEncoder().encode("y".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const streamed = await t.request("POST", "/api/v1/say", { token: ADMIN, rawBody: stream });
    assert.equal(streamed.status, 413);
    const ok = await t.request("POST", "/api/v1/say", { token: ADMIN, body: { message: "hi" } });
    assert.equal(ok.status, 200);
  });
});

Deno.test("unknown route 404, wrong method 405 with Allow, malformed JSON 400", async () => {
  await withHttp({}, async (t) => {
    const missing = await t.request("GET", "/api/v1/nope", { token: ADMIN });
    assert.equal(missing.status, 404);
    assert.equal((await t.request("GET", "/")).status, 404, "no dashboard directory given");
    const wrong = await t.request("DELETE", "/api/v1/status", { token: ADMIN });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST, GET");
    const kickGet = await t.request("GET", "/api/v1/kick", { token: ADMIN });
    assert.equal(kickGet.status, 405, "a command that acts is POST only");
    const bad = await t.request("POST", "/api/v1/say", { token: ADMIN, rawBody: "{nope" });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json(), { error: "The body must be JSON", field: "body" });
  });
});

Deno.test("a bug answers 500 with nothing of the error, and is logged", async () => {
  await withHttp({}, async (t) => {
    t.table.register({
      name: "explode",
      summary: "Throws a secret",
      run() {
        throw new Error("secret internals");
      },
    });
    const response = await t.request("POST", "/api/v1/explode", { token: ADMIN });
    assert.equal(response.status, 500);
    assert.doesNotMatch(response.text, /secret/);
    assert.equal((await t.request("GET", "/health")).status, 200);
  });
});

/** A manual clock whose timers can be held back: loops stop firing while time goes on. */
class StallableClock extends ManualClock {
  holding = false;
  readonly #held: (() => void)[] = [];

  override setTimeout(callback: () => void, delayMs: number): TimerId {
    if (!this.holding) return super.setTimeout(callback, delayMs);
    this.#held.push(callback);
    return -1;
  }
}

Deno.test("health is 200 while the loops run and 503 once one has stalled for over a second", async () => {
  const clock = new StallableClock();
  await withHttp({ server: { clock }, http: { clock } }, async (t) => {
    const healthy = await t.request("GET", "/health");
    assert.equal(healthy.status, 200);
    assert.equal(healthy.json().status, "ok");
    clock.advance(5000);
    assert.equal((await t.request("GET", "/health")).status, 200, "ticks firing on time");
    // From now on no timer is rescheduled: each loop fires once more, then stalls.
    clock.holding = true;
    clock.advance(5000);
    clock.advance(1000);
    const stalled = await t.request("GET", "/health");
    assert.equal(stalled.status, 503);
    assert.equal(stalled.json().status, "stalled");
    assert.ok((stalled.json().loopStallMs as number) > 1000);
  });
});
