// Every control of the dashboard maps to one HTTP API call here, with the token. Routes are
// the hoster-compatible ones where they fit (their shapes are fixed by the hoster's app) and
// /api/v1 for the rest.

/** @typedef {ReturnType<typeof import("./api.js").createApi>} Api */

/**
 * @param {Api} api
 */
export function createActions(api) {
  return {
    /** @returns {Promise<any>} */
    status: () => api.get("/api/v1/status"),
    /** @returns {Promise<any>} the `list` command: every client, with `connectedAt` */
    players: () => api.get("/api/v1/list"),
    /** @param {number} id */
    kick: (id) => api.put("/disconnectPlayer", { id }),
    /**
     * @param {number} id
     * @param {string} reason kept with the ban, and what the player reads; "" for none
     */
    ban: (id, reason) =>
      api.post("/api/v1/ban", reason ? { player: { id }, reason } : { player: { id } }),
    /** @param {string} ip */
    unban: (ip) => api.post("/api/v1/unban", { ip }),
    /** @returns {Promise<unknown[]>} */
    bans: () => api.get("/api/v1/bans"),
    /**
     * @param {string} text
     * @param {number | null} to a client id, or null for everyone
     */
    message: (text, to) =>
      // In the body, not the query string: URLs end up in logs.
      to === null
        ? api.post("/api/v1/say", { message: text })
        : api.post("/api/v1/msg", { player: { id: to }, message: text }),
    /** @returns {Promise<any>} */
    settings: () => api.get("/settings"),
    /** @param {Record<string, unknown>} change hoster field names */
    saveSettings: (change) => api.put("/settings", change),
    startCountdown: () => api.put("/startCountdown"),
    /** @param {boolean} enabled */
    setWhitelist: (enabled) => api.put("/whitelist/status", { enabled }),
    /** @returns {Promise<any>} */
    whitelist: () => api.get("/whitelist"),
    /** @param {"name" | "ip"} kind @param {string} value */
    whitelistAdd: (kind, value) => api.put("/whitelist", { [kind]: value }),
    /** @param {"name" | "ip"} kind @param {string} value */
    whitelistRemove: (kind, value) => api.del("/whitelist", { [kind]: value }),
    /**
     * @param {Record<string, string | number | undefined>} query
     * @returns {Promise<any>}
     */
    history: (query) => api.get("/api/v1/history", query),
    /**
     * @param {Record<string, string | number | undefined>} query
     * @returns {Promise<any>}
     */
    finishes: (query) => api.get("/api/v1/finishes", query),
  };
}

/** @typedef {ReturnType<typeof createActions>} Actions */
