/**
 * Static files at `/` (the dashboard): a directory's files, `index.html` for `/`, nothing
 * outside it.
 *
 * @module
 */

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  webp: "image/webp",
  woff2: "font/woff2",
  map: "application/json; charset=utf-8",
  txt: "text/plain; charset=utf-8",
};

/**
 * The dashboard's content security policy: its own scripts, styles and API only; no inline
 * script, no other origin, not framed by anyone.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; " +
  "frame-ancestors 'none'";

/** The file for `pathname` under `dir`, or undefined when there is none (or it would be outside). */
export async function serveStatic(dir: URL, pathname: string): Promise<Response | undefined> {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (path.endsWith("/")) path += "index.html";
  const segments = path.split("/").slice(1);
  if (
    segments.some((s) =>
      s === "" || s === "." || s === ".." || s.includes("\\") || s.includes("\0")
    )
  ) {
    return undefined;
  }
  const url = new URL(segments.map(encodeURIComponent).join("/"), dir);
  if (!url.href.startsWith(dir.href)) return undefined;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(url, { read: true });
  } catch {
    return undefined;
  }
  try {
    const info = await file.stat();
    if (!info.isFile) {
      file.close();
      return undefined;
    }
    const extension = segments.at(-1)!.split(".").pop()!.toLowerCase();
    return new Response(file.readable, {
      headers: {
        "content-type": TYPES[extension] ?? "application/octet-stream",
        "content-length": String(info.size),
        "x-content-type-options": "nosniff",
        "content-security-policy": DASHBOARD_CSP,
        "referrer-policy": "no-referrer",
      },
    });
  } catch {
    file.close();
    return undefined;
  }
}
