// History: the server's recorded events, newest first, with filters and paging. Pages come
// from /api/v1/history; while the first page is shown, new events are announced live and
// the page refreshes itself.
import { byId, h } from "../dom.js";
import { dateTime } from "../format.js";

/** The recorded event types, for the filter. */
export const HISTORY_TYPES = [
  "connect",
  "disconnect",
  "refuse",
  "mapChange",
  "speedrunFinish",
  "message",
  "countdown",
  "countdownSettingsChange",
  "serverMessage",
  "ban",
  "unban",
  "whitelistChange",
  "acceptingChange",
];

const PAGE_SIZE = 50;
/** Server pages read at most for one page of a time window, so a narrow window stays cheap. */
const MAX_FETCHES = 20;

/**
 * @typedef {{ id: number, time: string, type: string, actor?: string, player?: string,
 *   data: Record<string, unknown> }} HistoryEntry
 */

/**
 * One page of at most `size` entries inside the time window `from`…`to` (epoch ms, either
 * optional), newest first, read from the server's pages (newest first, cut by `before` ids)
 * until the page is full, the window's start is passed, or `MAX_FETCHES` pages were read.
 * `next` is the cursor of the following page, or null at the end.
 *
 * @param {(before: number | undefined) => Promise<{ entries?: HistoryEntry[], next?: number | null }>} fetchPage
 * @param {{ before?: number, from?: number, to?: number, size: number, maxFetches?: number }} range
 * @returns {Promise<{ entries: HistoryEntry[], next: number | null }>}
 */
export async function collectPage(fetchPage, range) {
  const { from, to, size } = range;
  /** @type {HistoryEntry[]} */
  const entries = [];
  let before = range.before;
  for (let fetches = 0; fetches < (range.maxFetches ?? MAX_FETCHES); fetches++) {
    const page = await fetchPage(before);
    for (const entry of page.entries ?? []) {
      const at = Date.parse(entry.time);
      if (from !== undefined && at < from) return { entries, next: null }; // older than the window
      if (to !== undefined && at > to) continue;
      entries.push(entry);
      if (entries.length === size) return { entries, next: entry.id };
    }
    if (typeof page.next !== "number") return { entries, next: null };
    before = page.next;
  }
  // Read enough for now: "Older" goes on from here.
  return { entries, next: before ?? null };
}

/**
 * One line about an entry's payload.
 *
 * @param {string} type
 * @param {any} data
 * @returns {string}
 */
export function describe(type, data) {
  if (!data || typeof data !== "object") return "";
  const parts = [];
  switch (type) {
    case "message":
    case "serverMessage":
      if (data.to?.name) parts.push(`to ${data.to.name}`);
      parts.push(String(data.text ?? ""));
      break;
    case "mapChange":
      parts.push(String(data.map ?? ""));
      break;
    case "speedrunFinish":
      parts.push(`${data.time ?? ""} on ${data.client?.map || "?"}`);
      break;
    case "disconnect":
    case "refuse":
      parts.push(String(data.reason ?? ""));
      if (data.ip && type === "refuse") parts.push(String(data.ip));
      break;
    case "countdown":
      parts.push(`${data.delay ?? "?"} s`);
      if (data.preCommands) parts.push(`pre: ${data.preCommands}`);
      if (data.postCommands) parts.push(`post: ${data.postCommands}`);
      break;
    case "countdownSettingsChange": {
      const s = data.settings ?? {};
      parts.push(`${s.delay ?? "?"} s, pre: ${s.preCommands ?? ""}, post: ${s.postCommands ?? ""}`);
      break;
    }
    case "ban":
    case "unban":
      parts.push(String(data.ip ?? ""));
      if (data.message) parts.push(String(data.message));
      break;
    case "whitelistChange": {
      const entry = data.entry ?? {};
      parts.push(String(data.action ?? ""));
      if (entry.name ?? entry.ip) parts.push(String(entry.name ?? entry.ip));
      break;
    }
    case "acceptingChange":
      parts.push(
        `players ${data.players ? "yes" : "no"}, spectators ${data.spectators ? "yes" : "no"}`,
      );
      break;
    case "connect":
      parts.push(data.client?.spectator ? "spectator" : "player");
      break;
  }
  if (data.actor) parts.push(`by ${data.actor}`);
  return parts.filter((p) => p !== "").join(" · ");
}

/**
 * @param {import("../app.js").Context} context
 * @returns {import("../app.js").View}
 */
export function mountHistory(context) {
  const { state, actions } = context;
  const form = /** @type {HTMLFormElement} */ (byId("history-form"));
  const type = /** @type {HTMLSelectElement} */ (byId("history-type"));
  const player = /** @type {HTMLInputElement} */ (byId("history-player"));
  const since = /** @type {HTMLInputElement} */ (byId("history-since"));
  const until = /** @type {HTMLInputElement} */ (byId("history-until"));
  const newer = /** @type {HTMLButtonElement} */ (byId("history-newer"));
  const older = /** @type {HTMLButtonElement} */ (byId("history-older"));
  const message = byId("history-message");
  const body = /** @type {HTMLElement} */ (byId("history-table").querySelector("tbody"));
  type.replaceChildren(
    h("option", { text: "All", attrs: { value: "" } }),
    ...HISTORY_TYPES.map((t) => h("option", { text: t, attrs: { value: t } })),
  );

  /** `before` cursors of the pages shown so far: [undefined] is the first page. */
  /** @type {(number | undefined)[]} */
  let cursors = [undefined];
  /** @type {number | null} */
  let next = null;
  let seenEvents = state.eventCount;
  let loading = false;
  let loaded = false;
  let refreshTimer = 0;

  async function load() {
    loading = true;
    const before = cursors.at(-1);
    const from = since.value ? new Date(since.value).getTime() : undefined;
    const to = until.value ? new Date(until.value).getTime() : undefined;
    try {
      const page = await collectPage(
        (cursor) =>
          actions.history({
            limit: PAGE_SIZE,
            before: cursor,
            type: type.value || undefined,
            player: player.value.trim() || undefined,
          }),
        { before, from, to, size: PAGE_SIZE },
      );
      seenEvents = state.eventCount;
      next = page.next;
      const entries = page.entries;
      body.replaceChildren(...entries.map((entry) =>
        h(
          "tr",
          {},
          h("td", { text: dateTime(entry.time), attrs: { "data-label": "Time" } }),
          h("td", { text: String(entry.type), attrs: { "data-label": "Type" } }),
          h("td", {
            class: "name",
            text: String(entry.player ?? entry.data?.client?.name ?? "–"),
            attrs: { "data-label": "Player" },
          }),
          h("td", {
            text: describe(entry.type, { ...entry.data, actor: entry.actor ?? entry.data?.actor }),
            attrs: { "data-label": "Details" },
          }),
        )
      ));
      message.textContent = entries.length === 0 ? "No matching events." : "";
      byId("history-page").textContent = `Page ${cursors.length}`;
      newer.disabled = cursors.length === 1;
      older.disabled = next === null;
      loaded = true;
    } catch (error) {
      const status = /** @type {{ status?: number }} */ (error).status;
      message.textContent = status === 503
        ? "This server does not record history."
        : `Could not load the history: ${error instanceof Error ? error.message : error}`;
      if (status === 401) context.report(error);
    } finally {
      loading = false;
    }
  }

  const onFilter = (/** @type {Event} */ event) => {
    event.preventDefault();
    cursors = [undefined];
    load();
  };
  const onOlder = () => {
    if (next === null) return;
    cursors.push(next);
    load();
  };
  const onNewer = () => {
    if (cursors.length === 1) return;
    cursors.pop();
    load();
  };
  form.addEventListener("submit", onFilter);
  older.addEventListener("click", onOlder);
  newer.addEventListener("click", onNewer);

  return {
    render(changed) {
      if (!context.visible("history")) return;
      if (changed.has("shown") && !loaded) load();
      // Live: on the first page, new events show up without a click, at most once a second
      // however busy the server is.
      else if (changed.has("history") && cursors.length === 1 && !refreshTimer) {
        refreshTimer = setTimeout(() => {
          refreshTimer = 0;
          if (!loading && state.eventCount !== seenEvents && context.visible("history")) load();
        }, 1000);
      }
    },
    destroy() {
      clearTimeout(refreshTimer);
      form.removeEventListener("submit", onFilter);
      older.removeEventListener("click", onOlder);
      newer.removeEventListener("click", onNewer);
    },
  };
}
