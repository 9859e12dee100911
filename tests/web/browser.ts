/**
 * Real headless Chromium for the dashboard's end-to-end tests: Debian's `chromium` driven by
 * `playwright-core`, which never downloads a browser of its own. Where `/usr/bin/chromium` is
 * missing the browser tests are skipped (counted as ignored) with the reason printed, unless
 * `GHOSTING_REQUIRE_BROWSER=1` (CI) turns the missing browser into a failure.
 */
import type { BrowserContext } from "playwright-core";

/** Debian's package puts it here (`apt-get install chromium`). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags for a quiet, offline, sandbox-less headless run (the tests run as root in CI). */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function missingReason(): string | undefined {
  try {
    if (Deno.statSync(CHROMIUM_PATH).isFile) return undefined;
  } catch {
    // fall through
  }
  return `${CHROMIUM_PATH} not found (apt-get install chromium)`;
}

/** Why the browser tests cannot run here, or undefined when they can. */
export const browserSkipReason: string | undefined = missingReason();

if (browserSkipReason !== undefined) {
  if (Deno.env.get("GHOSTING_REQUIRE_BROWSER") === "1") {
    throw new Error(`The browser tests must run here, but ${browserSkipReason}`);
  }
  console.log(`Skipping the browser tests: ${browserSkipReason}`);
}

/** A browser with a fresh profile; close() also deletes the profile. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh user-data-dir. */
export async function launchBrowser(): Promise<TestBrowser> {
  // Loaded only when a browser is there to drive, so a machine without one never needs it.
  const { chromium } = await import("playwright-core");
  const profile = await Deno.makeTempDir({ prefix: "ghosting-chromium-" });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      timeout: 30_000,
    });
  } catch (error) {
    await Deno.remove(profile, { recursive: true });
    throw error;
  }
  return {
    context,
    async close() {
      await context.close();
      await Deno.remove(profile, { recursive: true });
    },
  };
}
