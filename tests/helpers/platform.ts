/** What this machine and this test run allow, for tests that need more than plain sockets. */

/** Linux with --allow-ffi: the mmsg UDP backend can run. */
export const ffi = Deno.build.os === "linux" &&
  Deno.permissions.querySync({ name: "ffi" }).state === "granted";

/** The mmsg backend can run and a UDP socket can bind ::1. */
export const ipv6 = ffi && (() => {
  try {
    Deno.listenDatagram({ hostname: "::1", port: 0, transport: "udp" }).close();
    return true;
  } catch {
    return false;
  }
})();
