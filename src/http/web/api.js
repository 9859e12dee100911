// HTTP API calls with the bearer token. Every action of the dashboard goes through here.

/** An HTTP API error: the status, and the field the server named when the input was bad. */
export class ApiError extends Error {
  /**
   * @param {string} message
   * @param {number} status
   * @param {string | undefined} field
   */
  constructor(message, status, field) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
  }
}

/**
 * @param {string} token
 * @param {typeof fetch} [fetcher]
 */
export function createApi(token, fetcher = fetch) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {{ body?: unknown, query?: Record<string, string | number | undefined> }} [options]
   * @returns {Promise<any>}
   */
  async function request(method, path, options = {}) {
    const url = new URL(path, location.origin);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
    }
    /** @type {Record<string, string>} */
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    /** @type {RequestInit} */
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    const response = await fetcher(url, init);
    const text = await response.text();
    /** @type {any} */
    let data = text;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // plain-text answer (the hoster routes answer some actions with text)
    }
    if (!response.ok) {
      const message = data && typeof data === "object"
        ? String(data.error ?? data.message ?? response.statusText)
        : String(data || response.statusText);
      throw new ApiError(message, response.status, data?.field);
    }
    return data;
  }
  return {
    request,
    /** @param {string} path @param {Record<string, string | number | undefined>} [query] */
    get: (path, query) => request("GET", path, { query }),
    /** @param {string} path @param {unknown} [body] */
    post: (path, body) => request("POST", path, { body }),
    /** @param {string} path @param {unknown} [body] @param {Record<string, string | number | undefined>} [query] */
    put: (path, body, query) => request("PUT", path, { body, query }),
    /** @param {string} path @param {unknown} [body] */
    del: (path, body) => request("DELETE", path, { body }),
  };
}
