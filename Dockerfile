# ghosting in a container: docker compose up -d (see docker-compose.yml).
# The Deno version matches the one the README's quick start uses.
FROM denoland/deno:2.9.6

WORKDIR /app

# Dependencies first (exactly those of deno.lock), so they stay cached while the source changes.
COPY deno.json deno.lock ./
RUN deno install --frozen

COPY mod.ts ./
COPY src ./src

COPY config.toml ./
# Where [logging] file = true writes by default; mount it to keep logs.
RUN mkdir -p /app/logs && chown deno:deno /app/logs

# SAR connects over TCP and sends positions over UDP, on the same port.
EXPOSE 53000/tcp 53000/udp

USER deno
# A 1 MiB young generation keeps a 400-player server under 100 MB of RSS (BENCHMARKS.md).
CMD ["run", "--allow-net", "--allow-read", "--allow-write", "--allow-ffi", "--v8-flags=--max-semi-space-size=1", "src/main.ts", "--config", "/app/config.toml"]
