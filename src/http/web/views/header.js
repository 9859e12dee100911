// The header: uptime, players/spectators, viewers watching, UDP backend. The uptime ticks
// locally from the server's start time; nothing is polled.
import { byId } from "../dom.js";
import { duration } from "../format.js";

/**
 * @param {import("../app.js").Context} context
 * @returns {import("../app.js").View}
 */
export function mountHeader({ state }) {
  const uptime = byId("status-uptime");
  const tick = () => {
    uptime.textContent = state.startedAt === null ? "–" : duration(Date.now() - state.startedAt);
  };
  const timer = setInterval(tick, 1000);
  return {
    render(changed) {
      if (!changed.has("status") && !changed.has("players")) return;
      let players = 0;
      let spectators = 0;
      for (const client of state.clients.values()) {
        if (client.spectator) spectators++;
        else players++;
      }
      byId("status-players").textContent = String(players);
      byId("status-spectators").textContent = String(spectators);
      byId("status-viewers").textContent = state.viewers === null ? "–" : String(state.viewers);
      const backend = state.status.udpBackend;
      byId("status-udp").textContent = typeof backend === "string" ? backend : "–";
      tick();
    },
    destroy: () => clearInterval(timer),
  };
}
