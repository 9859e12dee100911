// Chat: the live chat, and a send box (to everyone, or to one player) for admins.
import { byId, h } from "../dom.js";
import { clock } from "../format.js";

/**
 * @param {import("../app.js").Context} context
 * @returns {import("../app.js").View}
 */
export function mountChat(context) {
  const { state, actions } = context;
  const log = byId("chat-log");
  const form = /** @type {HTMLFormElement} */ (byId("chat-form"));
  const to = /** @type {HTMLSelectElement} */ (byId("chat-to"));
  const text = /** @type {HTMLInputElement} */ (byId("chat-text"));
  /** @type {import("../store.js").ChatLine | undefined} */
  let lastShown;

  const onSubmit = async (/** @type {Event} */ event) => {
    event.preventDefault();
    const message = text.value.trim();
    if (!message) return;
    const target = to.value === "" ? null : Number(to.value);
    try {
      await actions.message(message, target);
      text.value = "";
    } catch (error) {
      context.report(error);
    }
    text.focus();
  };
  form.addEventListener("submit", onSubmit);

  function renderRecipients() {
    const chosen = to.value;
    const options = [h("option", { text: "Everyone", attrs: { value: "" } })];
    for (const player of state.clients.values()) {
      options.push(h("option", {
        text: `${player.name} (${player.id})`,
        attrs: { value: String(player.id) },
      }));
    }
    to.replaceChildren(...options);
    to.value = state.clients.has(Number(chosen)) ? chosen : "";
  }

  /** @param {import("../store.js").ChatLine} line */
  function item(line) {
    const from = line.from
      ? h("span", { class: "from", text: line.from.name })
      : h("span", { class: "from server", text: line.to ? `Server → ${line.to.name}` : "Server" });
    return h(
      "li",
      { class: line.from ? "player" : "server" },
      h("time", { text: clock(line.at), attrs: { datetime: new Date(line.at).toISOString() } }),
      from,
      h("span", { class: "text", text: line.text }),
    );
  }

  function renderChat() {
    const start = lastShown ? state.chat.lastIndexOf(lastShown) + 1 : 0;
    if (lastShown && start === 0) log.replaceChildren(); // older lines were trimmed
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    for (const line of state.chat.slice(start)) log.append(item(line));
    while (log.childElementCount > state.chat.length) log.firstElementChild?.remove();
    lastShown = state.chat.at(-1);
    if (nearBottom) log.scrollTop = log.scrollHeight;
  }

  return {
    render(changed) {
      if (changed.has("chat")) renderChat();
      if (changed.has("players")) renderRecipients();
    },
    destroy: () => form.removeEventListener("submit", onSubmit),
  };
}
