// Moderation: bans (reason, time, who) with unban, and the whitelist.
import { ask, byId, h } from "../dom.js";
import { dateTime } from "../format.js";

/**
 * @param {import("../app.js").Context} context
 * @returns {import("../app.js").View}
 */
export function mountModeration(context) {
  const { state, actions } = context;
  const enabled = /** @type {HTMLInputElement} */ (byId("whitelist-enabled"));
  const form = /** @type {HTMLFormElement} */ (byId("whitelist-form"));
  const kind = /** @type {HTMLSelectElement} */ (byId("whitelist-kind"));
  const value = /** @type {HTMLInputElement} */ (byId("whitelist-value"));
  enabled.disabled = !context.admin;

  const onToggle = () => {
    actions.setWhitelist(enabled.checked).catch((error) => {
      enabled.checked = state.whitelist.enabled;
      context.report(error);
    });
  };
  const onAdd = async (/** @type {Event} */ event) => {
    event.preventDefault();
    const entry = value.value.trim();
    if (!entry) return;
    try {
      await actions.whitelistAdd(kind.value === "ip" ? "ip" : "name", entry);
      value.value = "";
    } catch (error) {
      context.report(error);
    }
  };
  enabled.addEventListener("change", onToggle);
  form.addEventListener("submit", onAdd);

  function renderBans() {
    const body = /** @type {HTMLElement} */ (byId("bans-table").querySelector("tbody"));
    const bans = [...state.bans.values()];
    body.replaceChildren(...bans.map((ban) =>
      h(
        "tr",
        {},
        h("td", { text: ban.ip, attrs: { "data-label": "IP" } }),
        h("td", { text: ban.reason || "–", attrs: { "data-label": "Reason" } }),
        h("td", {
          text: ban.at === null ? "–" : dateTime(ban.at),
          attrs: { "data-label": "When" },
        }),
        h("td", { text: ban.actor || "–", attrs: { "data-label": "By" } }),
        context.admin
          ? h(
            "td",
            { class: "actions", attrs: { "data-label": "Actions" } },
            h("button", {
              class: "small secondary",
              text: "Unban",
              attrs: { type: "button", "aria-label": `Unban ${ban.ip}` },
              on: {
                click: async () => {
                  const ok = await ask({
                    title: "Lift ban",
                    text: `Let ${ban.ip} connect again?`,
                    confirm: "Unban",
                  });
                  if (ok !== null) actions.unban(ban.ip).catch(context.report);
                },
              },
            }),
          )
          : null,
      )
    ));
    byId("bans-empty").hidden = bans.length > 0;
    byId("bans-table").hidden = bans.length === 0;
  }

  function renderWhitelist() {
    enabled.checked = state.whitelist.enabled;
    const entries = [
      ...state.whitelist.names.map((v) => ({ kind: /** @type {const} */ ("name"), value: v })),
      ...state.whitelist.ips.map((v) => ({ kind: /** @type {const} */ ("ip"), value: v })),
    ];
    byId("whitelist-list").replaceChildren(...entries.map((entry) =>
      h(
        "li",
        {},
        h("span", { class: "kind", text: entry.kind === "ip" ? "IP" : "Name" }),
        h("span", { class: "value", text: entry.value }),
        context.admin
          ? h("button", {
            class: "small secondary",
            text: "Remove",
            attrs: { type: "button", "aria-label": `Remove ${entry.value} from the whitelist` },
            on: {
              click: () => actions.whitelistRemove(entry.kind, entry.value).catch(context.report),
            },
          })
          : null,
      )
    ));
    byId("whitelist-empty").hidden = entries.length > 0;
  }

  renderBans();
  renderWhitelist();
  return {
    render(changed) {
      if (changed.has("moderation") || changed.has("status")) {
        renderBans();
        renderWhitelist();
      }
    },
    destroy() {
      enabled.removeEventListener("change", onToggle);
      form.removeEventListener("submit", onAdd);
    },
  };
}
