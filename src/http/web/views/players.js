// Players: one row per client, updated in place (so keyboard focus on a row's button
// survives live updates), with kick/ban/message actions for admins.
import { ask, byId, h } from "../dom.js";
import { cssColor, duration, mapName } from "../format.js";

/**
 * @param {import("../app.js").Context} context
 * @returns {import("../app.js").View}
 */
export function mountPlayers(context) {
  const { state, actions } = context;
  const table = byId("players-table");
  const body = /** @type {HTMLTableSectionElement} */ (table.querySelector("tbody"));
  /** @type {Map<number, { row: HTMLTableRowElement, cells: Record<string, HTMLElement>, swatch: HTMLElement }>} */
  const rows = new Map();

  /** @param {import("../store.js").Player} player */
  function actionsCell(player) {
    const who = `${player.name} (${player.id})`;
    const kick = h("button", {
      class: "small secondary",
      text: "Kick",
      attrs: { type: "button", "aria-label": `Kick ${who}` },
      on: {
        click: async () => {
          const ok = await ask({
            title: "Kick player",
            text: `Disconnect ${who}? They can join again.`,
            confirm: "Kick",
          });
          if (ok !== null) actions.kick(player.id).catch(context.report);
        },
      },
    });
    const ban = h("button", {
      class: "small danger",
      text: "Ban",
      attrs: { type: "button", "aria-label": `Ban ${who}` },
      on: {
        click: async () => {
          const reason = await ask({
            title: "Ban player",
            text: `Ban the IP of ${who} and disconnect everyone from it?`,
            confirm: "Ban",
            input: { label: "Reason (optional; the player reads it)" },
          });
          if (reason !== null) actions.ban(player.id, reason.trim()).catch(context.report);
        },
      },
    });
    const message = h("button", {
      class: "small secondary",
      text: "Message",
      attrs: { type: "button", "aria-label": `Message ${who}` },
      on: {
        click: async () => {
          const text = await ask({
            title: "Message player",
            text: `A server message that only ${who} sees.`,
            confirm: "Send",
            input: { label: "Message", required: true },
          });
          if (text) actions.message(text, player.id).catch(context.report);
        },
      },
    });
    return h("td", { class: "actions", attrs: { "data-label": "Actions" } }, message, kick, ban);
  }

  /** @param {import("../store.js").Player} player */
  function createRow(player) {
    /** @type {Record<string, HTMLElement>} */
    const cells = {};
    const cell = (/** @type {string} */ key, /** @type {string} */ label) =>
      cells[key] = h("td", { attrs: { "data-label": label } });
    const swatch = h("span", { class: "swatch", attrs: { "aria-hidden": "true" } });
    const row = /** @type {HTMLTableRowElement} */ (h(
      "tr",
      { attrs: { "data-id": String(player.id) } },
      cell("name", "Name"),
      cell("id", "Id"),
      cell("map", "Map"),
      cell("model", "Model"),
      cell("color", "Colour"),
      cell("kind", "Kind"),
      cell("age", "Connected for"),
      cell("ping", "Ping"),
      context.admin ? actionsCell(player) : null,
    ));
    cells.name.classList.add("name");
    cells.ping.classList.add("ping");
    return { row, cells, swatch };
  }

  /**
   * @param {{ cells: Record<string, HTMLElement>, swatch: HTMLElement }} entry
   * @param {import("../store.js").Player} player
   */
  function fill(entry, player) {
    const { cells, swatch } = entry;
    set(cells.name, player.name);
    set(cells.id, String(player.id));
    set(cells.map, mapName(player.map));
    set(cells.model, player.model || "–");
    const color = cssColor(player.color);
    if (swatch.dataset.color !== color) {
      swatch.dataset.color = color;
      // CSSOM, not a style attribute: allowed by the page's style-src 'self'.
      swatch.style.backgroundColor = color;
      cells.color.replaceChildren(swatch, h("span", { text: color }));
    }
    const flags = [player.spectator ? "spectator" : "player"];
    if (player.tcpOnly) flags.push("TCP only");
    set(cells.kind, flags.join(", "));
    set(cells.age, duration(Date.now() - player.connectedAt));
    set(cells.ping, player.pingMs === null ? "–" : `${Math.round(player.pingMs)} ms`);
  }

  function renderAll() {
    for (const [id, entry] of rows) {
      if (!state.clients.has(id)) {
        entry.row.remove();
        rows.delete(id);
      }
    }
    for (const player of state.clients.values()) {
      let entry = rows.get(player.id);
      if (!entry) {
        entry = createRow(player);
        rows.set(player.id, entry);
        body.append(entry.row);
      }
      fill(entry, player);
    }
    table.classList.toggle(
      "no-ping",
      ![...state.clients.values()].some((player) => player.pingMs !== null),
    );
    const empty = state.clients.size === 0;
    byId("players-empty").hidden = !empty;
    table.hidden = empty;
  }

  // "Connected for" counts up between events.
  const timer = setInterval(() => {
    if (context.visible("players")) renderAll();
  }, 1000);
  return {
    render(changed) {
      if (changed.has("players") || changed.has("shown")) renderAll();
    },
    destroy: () => clearInterval(timer),
  };
}

/**
 * @param {HTMLElement} element
 * @param {string} text
 */
function set(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
