// What the page knows about the server, kept up to date from the live channel. Pure state
// changes, no DOM: the Deno tests drive it with the channel's messages.

/** Chat lines kept in the page; older ones scroll away. */
export const CHAT_LIMIT = 500;

/**
 * @typedef {{ r: number, g: number, b: number }} Color
 * @typedef {{ id: number, name: string, map: string, model: string, color: Color | null,
 *   spectator: boolean, tcpOnly: boolean, connectedAt: number, pingMs: number | null,
 *   x: number | null, y: number | null, z: number | null }} Player
 * @typedef {{ at: number, from: { id: number, name: string } | null,
 *   to: { id: number, name: string } | null, text: string }} ChatLine
 * @typedef {{ id: number, name: string, map: string, time: string, at: number }} Finish
 * @typedef {{ ip: string, reason: string, at: number | null, actor: string }} Ban
 * @typedef {{ countdownDuration: number, preCountdownCommands: string,
 *   postCountdownCommands: string, acceptingPlayers: boolean, acceptingSpectators: boolean }}
 *   Settings
 */

export function createState() {
  return {
    /** @type {Map<number, Player>} */
    clients: new Map(),
    /** @type {ChatLine[]} */
    chat: [],
    /** @type {Finish[]} finishes since raceStartedAt */
    finishes: [],
    /** @type {number | null} when the current race's countdown started */
    raceStartedAt: /** @type {number | null} */ (null),
    /** @type {Map<string, Ban>} */
    bans: new Map(),
    whitelist: {
      enabled: false,
      names: /** @type {string[]} */ ([]),
      ips: /** @type {string[]} */ ([]),
    },
    /** @type {Settings} */
    settings: {
      countdownDuration: 0,
      preCountdownCommands: "",
      postCountdownCommands: "",
      acceptingPlayers: true,
      acceptingSpectators: true,
    },
    /** @type {Record<string, unknown>} the latest status() seen */
    status: {},
    /** The server's clock minus ours, so uptimes tick locally without polling. */
    startedAt: /** @type {number | null} */ (null),
    viewers: /** @type {number | null} */ (null),
    /** bumped on each event, so the history view can offer "new events" */
    eventCount: 0,
  };
}

/** @typedef {ReturnType<typeof createState>} State */

/** @param {unknown} value */
const isObject = (value) => value !== null && typeof value === "object";

/**
 * @param {unknown} value
 * @returns {number | null}
 */
function time(value) {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/**
 * A client as the snapshot or an event describes it, with the names the HTTP API uses
 * (`spectator` or the hoster's `isSpectator`).
 *
 * @param {any} raw
 * @param {Player | undefined} [previous]
 * @param {number} [seenAt] when the page learnt of the client, for want of `connectedAt`
 * @returns {Player}
 */
export function toPlayer(raw, previous, seenAt = Date.now()) {
  const position = raw.position ?? raw.data?.position;
  return {
    id: Number(raw.id),
    name: String(raw.name ?? previous?.name ?? ""),
    map: String(raw.map ?? previous?.map ?? ""),
    model: String(raw.model ?? previous?.model ?? ""),
    color: isObject(raw.color) ? raw.color : previous?.color ?? null,
    spectator: Boolean(raw.spectator ?? raw.isSpectator ?? previous?.spectator ?? false),
    tcpOnly: Boolean(raw.tcpOnly ?? previous?.tcpOnly ?? false),
    connectedAt: time(raw.connectedAt) ?? previous?.connectedAt ?? seenAt,
    pingMs: typeof raw.pingMs === "number"
      ? raw.pingMs
      : typeof raw.ping === "number"
      ? raw.ping
      : previous?.pingMs ?? null,
    x: numberOr(position?.x, previous?.x ?? null),
    y: numberOr(position?.y, previous?.y ?? null),
    z: numberOr(position?.z, previous?.z ?? null),
  };
}

/**
 * @param {unknown} value
 * @param {number | null} fallback
 */
function numberOr(value, fallback) {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/**
 * Settings in the hoster app's shape, from either that shape or the server's countdown and
 * accepting objects.
 *
 * @param {State} state
 * @param {any} raw
 */
function mergeSettings(state, raw) {
  if (!isObject(raw)) return;
  const s = state.settings;
  if (typeof raw.countdownDuration === "number") s.countdownDuration = raw.countdownDuration;
  if (typeof raw.delay === "number") s.countdownDuration = raw.delay;
  if (typeof raw.preCountdownCommands === "string") {
    s.preCountdownCommands = raw.preCountdownCommands;
  }
  if (typeof raw.preCommands === "string") s.preCountdownCommands = raw.preCommands;
  if (typeof raw.postCountdownCommands === "string") {
    s.postCountdownCommands = raw.postCountdownCommands;
  }
  if (typeof raw.postCommands === "string") s.postCountdownCommands = raw.postCommands;
  if (typeof raw.acceptingPlayers === "boolean") s.acceptingPlayers = raw.acceptingPlayers;
  if (typeof raw.acceptingSpectators === "boolean") s.acceptingSpectators = raw.acceptingSpectators;
  if (typeof raw.players === "boolean") s.acceptingPlayers = raw.players;
  if (typeof raw.spectators === "boolean") s.acceptingSpectators = raw.spectators;
}

/**
 * @param {State} state
 * @param {any} raw `{enabled, names, ips}` or the hoster's `{enabled, entries: [{type, value}]}`
 */
function mergeWhitelist(state, raw) {
  if (!isObject(raw)) return;
  if (typeof raw.enabled === "boolean") state.whitelist.enabled = raw.enabled;
  if (Array.isArray(raw.names)) state.whitelist.names = raw.names.map(String);
  if (Array.isArray(raw.ips)) state.whitelist.ips = raw.ips.map(String);
  if (Array.isArray(raw.entries)) {
    state.whitelist.names = raw.entries.filter((/** @type {any} */ e) => e?.type === "name")
      .map((/** @type {any} */ e) => String(e.value));
    state.whitelist.ips = raw.entries.filter((/** @type {any} */ e) => e?.type === "ip")
      .map((/** @type {any} */ e) => String(e.value));
  }
}

/**
 * Server status as `status()` reports it; the header, settings and whitelist follow it.
 *
 * @param {State} state
 * @param {any} status
 */
export function applyStatus(state, status) {
  if (!isObject(status)) return;
  state.status = { ...state.status, ...status };
  const started = time(status.startedAt);
  if (started !== null) state.startedAt = started;
  else if (typeof status.uptimeMs === "number") state.startedAt = Date.now() - status.uptimeMs;
  if (isObject(status.countdown)) mergeSettings(state, status.countdown);
  if (isObject(status.accepting)) mergeSettings(state, status.accepting);
  if (isObject(status.whitelist)) mergeWhitelist(state, status.whitelist);
  if (typeof status.viewers === "number") state.viewers = status.viewers;
}

/**
 * A full snapshot replaces what the page knew about clients and settings.
 *
 * @param {State} state
 * @param {any} snapshot
 */
export function applySnapshot(state, snapshot) {
  /** @type {Map<number, Player>} */
  const clients = new Map();
  for (const raw of Array.isArray(snapshot.clients) ? snapshot.clients : []) {
    if (!isObject(raw) || !Number.isFinite(Number(raw.id))) continue;
    const player = toPlayer(raw, state.clients.get(Number(raw.id)));
    clients.set(player.id, player);
  }
  state.clients = clients;
  const settings = snapshot.settings;
  if (isObject(settings)) {
    mergeSettings(state, settings);
    mergeSettings(state, settings.countdown);
    mergeSettings(state, settings.accepting);
    mergeWhitelist(state, settings.whitelist);
  }
  applyStatus(state, snapshot.status);
  if (isObject(snapshot.whitelist)) mergeWhitelist(state, snapshot.whitelist);
  if (typeof snapshot.viewers === "number") state.viewers = snapshot.viewers;
  if (Array.isArray(snapshot.bans)) {
    for (const ban of snapshot.bans) addBan(state, ban);
  }
}

/**
 * @param {State} state
 * @param {any} raw an IP string or `{ip, reason?|message?, at?|time?, actor?|by?}`
 */
export function addBan(state, raw) {
  const ban = typeof raw === "string" ? { ip: raw } : raw;
  if (!isObject(ban) || typeof ban.ip !== "string") return;
  const previous = state.bans.get(ban.ip);
  state.bans.set(ban.ip, {
    ip: ban.ip,
    reason: String(ban.reason ?? ban.message ?? previous?.reason ?? ""),
    at: time(ban.at ?? ban.time ?? ban.bannedAt) ?? previous?.at ?? null,
    actor: String(ban.actor ?? ban.by ?? previous?.actor ?? ""),
  });
}

/**
 * When each client connected, from the `list` command's data (`[{id, connectedAt}]`): the live
 * channel's client objects do not carry it. Returns whether anything changed.
 *
 * @param {State} state
 * @param {unknown} list
 * @returns {boolean}
 */
export function mergeConnectedAt(state, list) {
  let changed = false;
  if (!Array.isArray(list)) return changed;
  for (const raw of list) {
    const player = state.clients.get(Number(/** @type {any} */ (raw)?.id));
    const at = time(/** @type {any} */ (raw)?.connectedAt);
    if (player && at !== null && player.connectedAt !== at) {
      player.connectedAt = at;
      changed = true;
    }
  }
  return changed;
}

/**
 * Replaces the ban list with the API's, keeping what events told about each ban.
 *
 * @param {State} state
 * @param {unknown[]} list
 */
export function setBans(state, list) {
  const previous = state.bans;
  state.bans = new Map();
  for (const raw of list) {
    const ip = typeof raw === "string" ? raw : /** @type {any} */ (raw)?.ip;
    if (typeof ip !== "string") continue;
    const known = previous.get(ip);
    if (known) state.bans.set(ip, known);
    addBan(state, raw);
  }
}

/**
 * @param {State} state
 * @param {number} at
 */
function startRace(state, at) {
  state.raceStartedAt = at;
  state.finishes = [];
}

/**
 * @param {State} state
 * @param {Finish} finish
 */
export function addFinish(state, finish) {
  if (state.raceStartedAt !== null && finish.at < state.raceStartedAt) return;
  // The same finish can arrive twice: from the history fetched on (re)connect and live.
  const duplicate = state.finishes.some((f) =>
    f.name === finish.name && f.time === finish.time && Math.abs(f.at - finish.at) < 5000
  );
  if (!duplicate) state.finishes.push(finish);
}

/**
 * The current race from the history: the last countdown's time and the finishes since.
 *
 * @param {State} state
 * @param {number | null} startedAt
 * @param {readonly any[]} finishes `{time, map, player, runTime}` entries of /api/v1/finishes
 */
export function loadRace(state, startedAt, finishes) {
  if (startedAt !== null && (state.raceStartedAt === null || startedAt > state.raceStartedAt)) {
    startRace(state, startedAt);
  }
  for (const entry of [...finishes].reverse()) {
    const at = time(entry?.time);
    if (at === null) continue;
    addFinish(state, {
      id: -1,
      name: String(entry.player ?? ""),
      map: String(entry.map ?? ""),
      time: String(entry.runTime ?? ""),
      at,
    });
  }
}

/**
 * @param {State} state
 * @param {ChatLine} line
 */
function addChat(state, line) {
  state.chat.push(line);
  if (state.chat.length > CHAT_LIMIT) state.chat.splice(0, state.chat.length - CHAT_LIMIT);
}

/**
 * The event's name and payload, from `{type: "event", event, ...payload}` or
 * `{type: "event", event|name, data|payload}`.
 *
 * @param {any} message
 * @returns {{ name: string, payload: any, at: number }}
 */
export function eventOf(message) {
  const name = String(message.event ?? message.name ?? message.kind ?? "");
  const payload = isObject(message.data)
    ? message.data
    : isObject(message.payload)
    ? message.payload
    : message;
  const at = time(message.at ?? message.time ?? payload.at) ?? Date.now();
  return { name, payload, at };
}

/**
 * Applies one server event; returns the areas of the page that changed.
 *
 * @param {State} state
 * @param {string} name
 * @param {any} payload
 * @param {number} [at]
 * @returns {Set<string>}
 */
export function applyEvent(state, name, payload, at = Date.now()) {
  /** @type {Set<string>} */
  const changed = new Set(["history"]);
  state.eventCount++;
  const client = isObject(payload.client) ? payload.client : null;
  const id = client ? Number(client.id) : NaN;
  switch (name) {
    case "connect":
      if (client) state.clients.set(id, toPlayer(client, state.clients.get(id), at));
      changed.add("players").add("map").add("status");
      break;
    case "disconnect":
      state.clients.delete(id);
      changed.add("players").add("map").add("status");
      break;
    case "mapChange":
    case "modelChange":
    case "colorChange": {
      const previous = state.clients.get(id);
      if (client && previous) {
        const next = toPlayer(client, previous);
        if (name === "mapChange" && typeof payload.map === "string") next.map = payload.map;
        if (name === "modelChange" && typeof payload.model === "string") next.model = payload.model;
        if (name === "colorChange" && isObject(payload.color)) next.color = payload.color;
        // The event's copy of the client carries the pose of its own time; keep the latest.
        next.x = previous.x;
        next.y = previous.y;
        next.z = previous.z;
        state.clients.set(id, next);
      }
      changed.add("players").add("map");
      break;
    }
    case "message":
      addChat(state, {
        at,
        from: client ? { id, name: String(client.name) } : null,
        to: null,
        text: String(payload.text ?? ""),
      });
      changed.add("chat");
      break;
    case "serverMessage":
      addChat(state, {
        at,
        from: null,
        to: isObject(payload.to)
          ? { id: Number(payload.to.id), name: String(payload.to.name) }
          : null,
        text: String(payload.text ?? ""),
      });
      changed.add("chat");
      break;
    case "speedrunFinish":
      if (client) {
        addFinish(state, {
          id,
          name: String(client.name),
          map: String(client.map ?? ""),
          time: String(payload.time ?? ""),
          at,
        });
      }
      changed.add("race");
      break;
    case "countdown":
      startRace(state, at);
      mergeSettings(state, payload);
      changed.add("race");
      break;
    case "countdownSettingsChange":
      mergeSettings(state, payload.settings);
      changed.add("race");
      break;
    case "acceptingChange":
      mergeSettings(state, payload);
      changed.add("race");
      break;
    case "ban":
      addBan(state, { ip: payload.ip, reason: payload.message, at, actor: payload.actor });
      changed.add("moderation");
      break;
    case "unban":
      state.bans.delete(String(payload.ip));
      changed.add("moderation");
      break;
    case "whitelistChange":
      mergeWhitelist(state, payload.whitelist);
      if (payload.action === "enable") state.whitelist.enabled = true;
      if (payload.action === "disable") state.whitelist.enabled = false;
      changed.add("moderation");
      break;
  }
  return changed;
}

/**
 * Positions from a `positions` message: `{positions: [[id, x, y, z, …], …]}` (the live
 * channel's rows), or objects `{id, x, y, z}` / `{id, position}`. Returns whether any dot moved.
 *
 * @param {State} state
 * @param {any} message
 * @returns {boolean}
 */
export function applyPositions(state, message) {
  const list = message.positions ?? message.clients ?? message.players;
  let moved = false;
  /**
   * @param {number} id
   * @param {any} p
   */
  const set = (id, p) => {
    const player = state.clients.get(id);
    if (!player || !p) return;
    const source = Array.isArray(p)
      ? { x: p[0], y: p[1], z: p[2] }
      : p.position ?? p.data?.position ?? p;
    const x = numberOr(source.x, player.x);
    const y = numberOr(source.y, player.y);
    const z = numberOr(source.z, player.z);
    if (x !== player.x || y !== player.y || z !== player.z) moved = true;
    player.x = x;
    player.y = y;
    player.z = z;
    if (typeof p.map === "string") player.map = p.map;
  };
  if (Array.isArray(list)) {
    for (const item of list) {
      if (Array.isArray(item)) set(Number(item[0]), item.slice(1, 4));
      else if (isObject(item)) set(Number(item.id), item);
    }
  } else if (isObject(list)) {
    for (const [id, p] of Object.entries(list)) set(Number(id), p);
  }
  return moved;
}

/**
 * Finishes in order of time, fastest first; unparseable times last.
 *
 * @param {readonly Finish[]} finishes
 * @param {(time: string) => number} seconds
 * @returns {Finish[]}
 */
export function rankFinishes(finishes, seconds) {
  return finishes
    .map((finish, index) => ({ finish, index, value: seconds(finish.time) }))
    .sort((a, b) => a.value - b.value || a.index - b.index)
    .map(({ finish }) => finish);
}
