# ghosting in a container: docker compose up -d (see docker-compose.yml and the README).
# The Deno version matches the one the README's quick start uses.
FROM denoland/deno:2.9.6

WORKDIR /app

COPY deno.json deno.lock ./
COPY mod.ts plugin.ts ./
COPY src ./src
# The bundled plugins ([plugins] load = ["plugins/race_helper.ts"] in the mounted config.toml);
# they import the top-level plugin.ts.
COPY plugins ./plugins
COPY config.toml ./

# Test-only packages leave the import map and the lock file, so that nothing fetches them.
RUN DENO_DIR=/tmp/deno-remove deno remove fast-check playwright-core yaml && rm -rf /tmp/deno-remove

# Where the database, the admin socket and the log files live, owned by the user the server
# runs as (mount volumes here to keep them; see docker-compose.yml).
RUN mkdir -p /app/data /app/logs && chown deno:deno /app/data /app/logs
USER deno

# Cache exactly what the server, `deno task console` and the bundled plugins import, so that the
# container starts without network access.
RUN deno cache --frozen src/main.ts src/console/remote.ts plugins/chat_guard.ts plugins/motd.ts plugins/race_helper.ts

# SAR connects over TCP and sends positions over UDP, on the same port.
EXPOSE 53000/tcp 53000/udp
VOLUME ["/app/data", "/app/logs"]

# Asks the running server through its admin socket, not only whether the process exists.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 CMD ["deno", "task", "console", "--config", "/app/config.toml", "status"]

# `deno task start`'s command: the server with its console on standard input (docker attach).
# A 1 MiB young generation keeps a 400-player server near 100 MB of RSS (BENCHMARKS.md).
CMD ["run", "--allow-net", "--allow-read", "--allow-write", "--allow-ffi", "--allow-env=INIT_CWD", "--v8-flags=--max-semi-space-size=1", "src/main.ts", "--config", "/app/config.toml"]
