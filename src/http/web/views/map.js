// Map view: for each map with players, a top-down plot of x/y on a canvas, redrawn at the
// rate positions arrive (at most once per frame), with a list of the same positions for
// screen readers and keyboard users.
import { byId, h } from "../dom.js";
import { cssColor, mapName } from "../format.js";
import { draw } from "../plot.js";

/**
 * @param {import("../app.js").Context} context
 * @returns {import("../app.js").View}
 */
export function mountMap(context) {
  const { state } = context;
  const container = byId("map-plots");
  /** @type {Map<string, { figure: HTMLElement, canvas: HTMLCanvasElement, list: HTMLElement }>} */
  const plots = new Map();
  let frame = 0;

  function byMap() {
    /** @type {Map<string, import("../store.js").Player[]>} */
    const maps = new Map();
    for (const player of state.clients.values()) {
      // Spectators have no ghost in the race: they are not plotted.
      if (player.spectator || !player.map || player.x === null || player.y === null) continue;
      const list = maps.get(player.map) ?? [];
      list.push(player);
      maps.set(player.map, list);
    }
    return maps;
  }

  function paint() {
    frame = 0;
    const maps = byMap();
    for (const [map, plot] of plots) {
      if (!maps.has(map)) {
        plot.figure.remove();
        plots.delete(map);
      }
    }
    for (const [map, players] of [...maps].sort(([a], [b]) => a.localeCompare(b))) {
      let plot = plots.get(map);
      if (!plot) {
        const canvas = /** @type {HTMLCanvasElement} */ (h("canvas", {
          attrs: { role: "img", "aria-label": `Top-down positions on ${map}` },
        }));
        const list = h("ul", { class: "coords", attrs: { "aria-label": `Positions on ${map}` } });
        const figure = h(
          "figure",
          { class: "plot card", attrs: { "data-map": map } },
          h("figcaption", { text: mapName(map) }),
          canvas,
          list,
        );
        plot = { figure, canvas, list };
        plots.set(map, plot);
        container.append(figure);
      }
      const dots = players.map((p) => ({
        id: p.id,
        name: p.name,
        x: /** @type {number} */ (p.x),
        y: /** @type {number} */ (p.y),
        color: cssColor(p.color),
      }));
      draw(plot.canvas, dots);
      plot.list.replaceChildren(
        ...players.map((p, i) => {
          const swatch = h("span", { class: "swatch", attrs: { "aria-hidden": "true" } });
          swatch.style.backgroundColor = dots[i].color;
          return h(
            "li",
            { attrs: { "data-id": String(p.id) } },
            swatch,
            h("span", { class: "name", text: p.name }),
            h("span", {
              class: "xy",
              text: `x ${Math.round(dots[i].x)}, y ${Math.round(dots[i].y)}`,
            }),
          );
        }),
      );
    }
    byId("map-empty").hidden = plots.size > 0;
  }

  return {
    render(changed) {
      if (!context.visible("map")) return;
      if (
        changed.has("positions") || changed.has("map") || changed.has("players") ||
        changed.has("shown")
      ) {
        if (!frame) frame = requestAnimationFrame(paint);
      }
    },
    destroy: () => cancelAnimationFrame(frame),
  };
}
