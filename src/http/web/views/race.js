// Race: countdown duration and pre/post commands (with presets kept in this browser), the
// start button, the accept toggles, and the current race's results.
import { byId, h } from "../dom.js";
import { clock, finishSeconds, mapName } from "../format.js";
import { rankFinishes } from "../store.js";

const PRESETS_KEY = "ghosting.presets";

/** @typedef {{ name: string, duration: number, pre: string, post: string }} Preset */

/** @returns {Preset[]} */
function loadPresets() {
  try {
    const list = JSON.parse(localStorage.getItem(PRESETS_KEY) ?? "[]");
    return Array.isArray(list)
      ? list.filter((p) => p && typeof p.name === "string").map((p) => ({
        name: String(p.name),
        duration: Number(p.duration) || 0,
        pre: String(p.pre ?? ""),
        post: String(p.post ?? ""),
      }))
      : [];
  } catch {
    return [];
  }
}

/** @param {Preset[]} presets */
function savePresets(presets) {
  localStorage.setItem(PRESETS_KEY, JSON.stringify(presets));
}

/**
 * @param {import("../app.js").Context} context
 * @returns {import("../app.js").View}
 */
export function mountRace(context) {
  const { state, actions } = context;
  const form = /** @type {HTMLFormElement} */ (byId("race-form"));
  const duration = /** @type {HTMLInputElement} */ (byId("race-duration"));
  const pre = /** @type {HTMLInputElement} */ (byId("race-pre"));
  const post = /** @type {HTMLInputElement} */ (byId("race-post"));
  const pick = /** @type {HTMLSelectElement} */ (byId("preset-pick"));
  const presetName = /** @type {HTMLInputElement} */ (byId("preset-name"));
  const message = byId("race-message");
  const acceptPlayers = /** @type {HTMLInputElement} */ (byId("accept-players"));
  const acceptSpectators = /** @type {HTMLInputElement} */ (byId("accept-spectators"));
  /** Fields the organiser is editing: live updates do not overwrite them. */
  const dirty = new Set();
  /** @type {[EventTarget, string, EventListener][]} */
  const listeners = [];
  const on = (
    /** @type {EventTarget} */ target,
    /** @type {string} */ type,
    /** @type {any} */ fn,
  ) => {
    target.addEventListener(type, fn);
    listeners.push([target, type, fn]);
  };

  for (const input of [duration, pre, post]) {
    input.readOnly = !context.admin;
    on(input, "input", () => dirty.add(input));
  }
  acceptPlayers.disabled = !context.admin;
  acceptSpectators.disabled = !context.admin;

  /** @param {string} text */
  const say = (text) => message.textContent = text;

  function formSettings() {
    const seconds = Number(duration.value);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 60) {
      duration.focus();
      throw new RangeError("The duration must be a whole number of seconds from 0 to 60");
    }
    return {
      countdownDuration: seconds,
      preCountdownCommands: pre.value,
      postCountdownCommands: post.value,
    };
  }

  async function save() {
    await actions.saveSettings(formSettings());
    dirty.clear();
  }

  on(form, "submit", async (/** @type {Event} */ event) => {
    event.preventDefault();
    try {
      await save();
      say("Settings saved");
    } catch (error) {
      context.report(error);
    }
  });
  on(byId("race-clear"), "click", async () => {
    try {
      await actions.saveSettings({ preCountdownCommands: "", postCountdownCommands: "" });
      pre.value = "";
      post.value = "";
      dirty.delete(pre);
      dirty.delete(post);
      say("Commands cleared");
    } catch (error) {
      context.report(error);
    }
  });
  on(byId("race-start"), "click", async () => {
    try {
      // What the organiser sees in the form is what the countdown sends.
      if (dirty.size > 0) await save();
      await actions.startCountdown();
      say(`Countdown started at ${clock(Date.now())}`);
    } catch (error) {
      context.report(error);
    }
  });
  on(acceptPlayers, "change", () => {
    actions.saveSettings({ acceptingPlayers: acceptPlayers.checked }).catch((error) => {
      acceptPlayers.checked = state.settings.acceptingPlayers;
      context.report(error);
    });
  });
  on(acceptSpectators, "change", () => {
    actions.saveSettings({ acceptingSpectators: acceptSpectators.checked }).catch((error) => {
      acceptSpectators.checked = state.settings.acceptingSpectators;
      context.report(error);
    });
  });

  function renderPresets(selected = pick.value) {
    const presets = loadPresets();
    pick.replaceChildren(
      ...(presets.length === 0
        ? [h("option", { text: "No presets yet", attrs: { value: "" } })]
        : presets.map((p) => h("option", { text: p.name, attrs: { value: p.name } }))),
    );
    if (presets.some((p) => p.name === selected)) pick.value = selected;
  }
  on(byId("preset-save"), "click", () => {
    const name = presetName.value.trim();
    if (!name) {
      presetName.focus();
      say("Name the preset first");
      return;
    }
    try {
      const settings = formSettings();
      const presets = loadPresets().filter((p) => p.name !== name);
      presets.push({
        name,
        duration: settings.countdownDuration,
        pre: settings.preCountdownCommands,
        post: settings.postCountdownCommands,
      });
      savePresets(presets);
      presetName.value = "";
      renderPresets(name);
      say(`Preset “${name}” saved`);
    } catch (error) {
      context.report(error);
    }
  });
  on(byId("preset-use"), "click", () => {
    const preset = loadPresets().find((p) => p.name === pick.value);
    if (!preset) return;
    duration.value = String(preset.duration);
    pre.value = preset.pre;
    post.value = preset.post;
    dirty.add(duration).add(pre).add(post);
    say(`Preset “${preset.name}” loaded; save or start to use it`);
  });
  on(byId("preset-delete"), "click", () => {
    const name = pick.value;
    if (!name) return;
    savePresets(loadPresets().filter((p) => p.name !== name));
    renderPresets();
    say(`Preset “${name}” deleted`);
  });
  renderPresets();

  function renderSettings() {
    const s = state.settings;
    if (!dirty.has(duration)) duration.value = String(s.countdownDuration);
    if (!dirty.has(pre)) pre.value = s.preCountdownCommands;
    if (!dirty.has(post)) post.value = s.postCountdownCommands;
    acceptPlayers.checked = s.acceptingPlayers;
    acceptSpectators.checked = s.acceptingSpectators;
  }

  function renderResults() {
    const ranked = rankFinishes(state.finishes, finishSeconds);
    const body = /** @type {HTMLElement} */ (byId("results-table").querySelector("tbody"));
    body.replaceChildren(
      ...ranked.map((finish, index) =>
        h(
          "tr",
          {},
          h("td", { text: String(index + 1), attrs: { "data-label": "#" } }),
          h("td", { class: "name", text: finish.name, attrs: { "data-label": "Player" } }),
          h("td", { text: finish.time, attrs: { "data-label": "Time" } }),
          h("td", { text: mapName(finish.map), attrs: { "data-label": "Map" } }),
        )
      ),
    );
    byId("results-empty").hidden = ranked.length > 0;
    byId("results-table").hidden = ranked.length === 0;
    byId("race-since").textContent = state.raceStartedAt === null
      ? "Finishes since this page opened (no countdown yet)"
      : `Race started at ${clock(state.raceStartedAt)}`;
  }

  renderSettings();
  renderResults();
  return {
    render(changed) {
      if (changed.has("race") || changed.has("status")) {
        renderSettings();
        renderResults();
      }
    },
    destroy() {
      for (const [target, type, fn] of listeners) target.removeEventListener(type, fn);
    },
  };
}
