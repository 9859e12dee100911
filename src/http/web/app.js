// The dashboard's entry point: login, the live channel, the tabs, and the views.
import { createApi } from "./api.js";
import { createActions } from "./actions.js";
import { byId } from "./dom.js";
import { LiveChannel } from "./live.js";
import {
  applyEvent,
  applyPositions,
  applySnapshot,
  applyStatus,
  createState,
  eventOf,
  loadRace,
  mergeConnectedAt,
  setBans,
} from "./store.js";
import { mountHeader } from "./views/header.js";
import { mountPlayers } from "./views/players.js";
import { mountMap } from "./views/map.js";
import { mountChat } from "./views/chat.js";
import { mountRace } from "./views/race.js";
import { mountModeration } from "./views/moderation.js";
import { mountHistory } from "./views/history.js";

/** sessionStorage key of the token: per tab, gone when the tab closes, never in the URL. */
const TOKEN_KEY = "ghosting.token";
const VIEWS = ["players", "map", "chat", "race", "moderation", "history"];

/**
 * @typedef {{
 *   state: import("./store.js").State,
 *   actions: import("./actions.js").Actions,
 *   admin: boolean,
 *   live: LiveChannel,
 *   visible: (view: string) => boolean,
 *   report: (error: unknown) => void,
 * }} Context
 * @typedef {{ render: (changed: Set<string>) => void, destroy?: () => void }} View
 */

function showLogin(message = "") {
  byId("app").hidden = true;
  byId("login").hidden = false;
  byId("login-error").textContent = message;
  /** @type {HTMLInputElement} */ (byId("login-token")).focus();
}

/** @param {string} message */
function banner(message) {
  const element = byId("banner");
  element.hidden = message === "";
  byId("banner-text").textContent = message;
}

/** @type {(() => void) | undefined} */
let signOut;
let dashboardStarted = false;

/** @param {string} token */
function startDashboard(token) {
  dashboardStarted = true;
  const state = createState();
  const api = createApi(token);
  const actions = createActions(api);
  /** @type {View[]} */
  let views = [];
  let current = "players";
  let countdownTimer = 0;

  /** @param {Set<string>} changed */
  const render = (changed) => {
    for (const view of views) view.render(changed);
  };

  const live = new LiveChannel({
    url: new URL("/api/v1/live", location.href.replace(/^http/, "ws")).href,
    token,
    onState(next) {
      clearInterval(countdownTimer);
      if (next.state === "open") {
        banner("");
        document.body.dataset.live = "open";
        start(next.hello);
      } else if (next.state === "waiting") {
        document.body.dataset.live = "waiting";
        const until = Date.now() + next.delayMs;
        const tell = () => {
          const seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
          banner(`Live connection lost (${next.reason}). Reconnecting in ${seconds} s…`);
        };
        tell();
        countdownTimer = setInterval(tell, 250);
      } else if (next.state === "connecting") {
        document.body.dataset.live = "connecting";
        if (!byId("banner").hidden) banner("Reconnecting…");
      } else if (next.state === "denied") {
        document.body.dataset.live = "denied";
        sessionStorage.removeItem(TOKEN_KEY);
        teardown();
        showLogin(`The server refused the token: ${next.message}`);
      }
    },
    onMessage(message) {
      switch (message.type) {
        case "snapshot":
          applySnapshot(state, message);
          render(new Set(["players", "map", "chat", "race", "moderation", "status"]));
          break;
        case "event": {
          const { name, payload, at } = eventOf(message);
          render(applyEvent(state, name, payload, at));
          break;
        }
        case "positions":
          if (applyPositions(state, message)) render(new Set(["positions"]));
          break;
        case "heartbeat":
          if (typeof message.viewers === "number") state.viewers = message.viewers;
          if (message.status) applyStatus(state, message.status);
          render(new Set(["status"]));
          break;
        case "status":
          applyStatus(state, message.status ?? message);
          render(new Set(["status", "race", "moderation"]));
          break;
      }
    },
    afterOk() {
      positionsWanted = undefined;
      subscribePositions();
    },
  });

  /** @type {Context} */
  const context = {
    state,
    actions,
    admin: false,
    live,
    visible: (view) => current === view,
    report(error) {
      const status = /** @type {{ status?: number }} */ (error).status;
      if (status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        teardown();
        showLogin("The server no longer accepts this token");
        return;
      }
      const text = error instanceof Error ? error.message : String(error);
      const toast = byId("toast");
      toast.textContent = text;
      toast.hidden = false;
      setTimeout(() => toast.hidden = true, 6000);
    },
  };

  let started = false;
  /** @param {Record<string, unknown>} hello */
  function start(hello) {
    // The scope comes with "ok"; the page shows controls only for admin tokens (the server
    // refuses a read token's actions anyway).
    const admin = hello.scope === "admin";
    if (!started || admin !== context.admin) {
      started = true;
      context.admin = admin;
      document.body.classList.toggle("read-only", !admin);
      for (const element of document.querySelectorAll(".admin-only")) {
        /** @type {HTMLElement} */ (element).hidden = !admin;
      }
      byId("scope-badge").textContent = admin ? "admin" : "view only";
      // A token whose scope changed between connections: the old views' listeners and timers go
      // first (two chat forms' listeners would send every message twice).
      for (const view of views) view.destroy?.();
      views = [
        mountHeader(context),
        mountPlayers(context),
        mountMap(context),
        mountChat(context),
        mountRace(context),
        mountModeration(context),
        mountHistory(context),
      ];
    }
    // What the snapshot may not carry (bans, status): ask once per connection.
    actions.status().then((status) => {
      applyStatus(state, status?.data ?? status);
      render(new Set(["status", "race", "moderation"]));
    }, () => {});
    actions.players().then((list) => {
      if (mergeConnectedAt(state, list?.data ?? list)) render(new Set(["players"]));
    }, () => {});
    // Bans, each with the reason, time and actor the server's history knows.
    actions.bans().then((list) => {
      const bans = /** @type {any} */ (list)?.data ?? list;
      if (!Array.isArray(bans)) return;
      setBans(state, bans);
      render(new Set(["moderation"]));
    }, () => {});
    // The current race: the last countdown and the finishes since, from the history.
    Promise.all([
      actions.history({ type: "countdown", limit: 1 }),
      actions.finishes({ limit: 500 }),
    ]).then(([countdowns, finishes]) => {
      const last = countdowns?.entries?.[0]?.time;
      loadRace(state, last ? Date.parse(last) : null, finishes?.finishes ?? []);
      render(new Set(["race"]));
    }, () => {});
  }

  /** @type {boolean | undefined} what the server was last told */
  let positionsWanted;
  /**
   * Positions cost the server an encoding per tick while anyone subscribes: ask for them only
   * while the map is on screen (its tab chosen and the browser tab visible).
   */
  function subscribePositions() {
    const wanted = current === "map" && document.visibilityState !== "hidden";
    if (wanted === positionsWanted) return;
    if (live.send({ type: "subscribe", positions: wanted })) positionsWanted = wanted;
  }
  document.addEventListener("visibilitychange", subscribePositions);

  /** @param {string} view */
  function select(view, focus = false) {
    if (!VIEWS.includes(view)) view = "players";
    current = view;
    for (const name of VIEWS) {
      const tab = byId(`tab-${name}`);
      const selected = name === view;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      byId(`view-${name}`).hidden = !selected;
      if (selected && focus) tab.focus();
    }
    if (history.replaceState) history.replaceState(null, "", `#${view}`);
    subscribePositions();
    render(new Set([view, "shown"]));
  }

  const tablist = /** @type {HTMLElement} */ (document.querySelector("[role=tablist]"));
  const onTabClick = (/** @type {Event} */ event) => {
    const tab = /** @type {HTMLElement} */ (event.target).closest("[role=tab]");
    if (tab) select(tab.id.slice(4));
  };
  const onTabKey = (/** @type {KeyboardEvent} */ event) => {
    const index = VIEWS.indexOf(current);
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: VIEWS.length - 1 - index };
    const move = /** @type {Record<string, number>} */ (moves)[event.key];
    if (move === undefined) return;
    event.preventDefault();
    select(VIEWS[(index + move + VIEWS.length) % VIEWS.length], true);
  };
  tablist.addEventListener("click", onTabClick);
  tablist.addEventListener("keydown", onTabKey);
  const retry = () => live.retryNow();
  byId("banner-retry").addEventListener("click", retry);

  function teardown() {
    clearInterval(countdownTimer);
    document.removeEventListener("visibilitychange", subscribePositions);
    tablist.removeEventListener("click", onTabClick);
    tablist.removeEventListener("keydown", onTabKey);
    byId("banner-retry").removeEventListener("click", retry);
    for (const view of views) view.destroy?.();
    views = [];
    live.stop();
    banner("");
  }
  signOut = teardown;

  byId("login").hidden = true;
  byId("app").hidden = false;
  select(location.hash.slice(1));
  live.start();
}

byId("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (byId("login-token"));
  const token = input.value.trim();
  if (!token) return;
  input.value = "";
  sessionStorage.setItem(TOKEN_KEY, token);
  // A second sign-in in the same page starts from a clean page rather than re-wiring views.
  if (dashboardStarted) location.reload();
  else startDashboard(token);
});

byId("logout").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  signOut?.();
  signOut = undefined;
  location.reload();
});

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) startDashboard(saved);
else showLogin();
