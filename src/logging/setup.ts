/**
 * Logging as `[logging]` asks: standard error and/or a rotating file, through logtape, behind
 * a {@linkcode LogGate} that bounds what players can make the server log.
 *
 * @module
 */
import { configure, dispose, getTextFormatter, type Sink } from "@logtape/logtape";
import { getRotatingFileSink } from "@logtape/file";
import { dirname } from "node:path";
import { type Clock, systemClock } from "../clock.ts";
import { ConfigError, type LoggingSection } from "../config/mod.ts";
import { BoundedWriter, type ByteWriter } from "./bounded_writer.ts";
import { boundedConsoleSink } from "./console_sink.ts";
import { LogGate } from "./log_gate.ts";
import { type RefusalSource, RefusalSummary } from "./refusal_summary.ts";

/** Where console log lines go instead of standard error while set (an open terminal console). */
let consoleLineWriter: ((text: string) => void) | undefined;

/**
 * Sends console log lines to `writer` (a terminal console prints them above its prompt) until
 * the returned function is called; then they go to standard error again.
 */
export function routeConsoleLogs(writer: (text: string) => void): () => void {
  consoleLineWriter = writer;
  return () => {
    if (consoleLineWriter === writer) consoleLineWriter = undefined;
  };
}

/**
 * Checks that `[logging] filename` can be written, creating its directory.
 *
 * @throws {ConfigError} naming the key and the fix
 */
async function checkLogFile(filename: string): Promise<void> {
  try {
    await Deno.mkdir(dirname(filename), { recursive: true });
    const info = await Deno.stat(filename).catch(() => undefined);
    if (info?.isDirectory) throw new Error("it is a directory");
    const file = await Deno.open(filename, { append: true, create: true });
    file.close();
  } catch (error) {
    throw new ConfigError(
      `[logging] filename "${filename}" cannot be written (${
        (error as Error).message
      }); name a file the server's user may write, or set [logging] file = false`,
    );
  }
}

// Rotation keeps a server that runs for months from filling its disk.
const MAX_LOG_FILE_BYTES = 10 * 1024 * 1024;
const KEPT_LOG_FILES = 5;
/** How long closing waits for standard error to take what is queued. */
const FLUSH_TIMEOUT_MS = 1000;

/** What {@linkcode setupLogging} set up. */
export interface Logging {
  /** Sums up the refusals and drops of `server` per network and reason. */
  watch(server: RefusalSource): void;
  /**
   * Writes a line for the person at the terminal to standard error, without blocking (unlike
   * `console.error`, which blocks the whole server while a pipe is full).
   */
  notice(text: string): void;
  /** Writes the pending summaries, waits a little for standard error, and closes the sinks. */
  close(): Promise<void>;
}

/** Where the logging writes and what time it keeps; tests pass their own. */
export interface LoggingEnvironment {
  stderr?: ByteWriter;
  clock?: Clock;
}

/**
 * Routes the `ghosting` log categories to the sinks `[logging]` enables. Libraries embedding
 * the server may skip this and configure logtape themselves.
 *
 * @throws {ConfigError} when `[logging] filename` cannot be written
 */
export async function setupLogging(
  logging: LoggingSection,
  environment: LoggingEnvironment = {},
): Promise<Logging> {
  const clock = environment.clock ?? systemClock;
  const formatter = getTextFormatter({ timestamp: "date-time-tz", value: "bare" });
  const stderr = new BoundedWriter(environment.stderr ?? Deno.stderr, logging.console_buffer_bytes);
  const sinks: Sink[] = [];
  if (logging.console) {
    const bounded = boundedConsoleSink(stderr, formatter).sink;
    // An open terminal console prints log lines above its prompt instead.
    sinks.push((record) => {
      if (consoleLineWriter) consoleLineWriter(formatter(record));
      else bounded(record);
    });
  }
  if (logging.file) {
    await checkLogFile(logging.filename);
    sinks.push(getRotatingFileSink(logging.filename, {
      formatter,
      maxSize: MAX_LOG_FILE_BYTES,
      maxFiles: KEPT_LOG_FILES,
      bufferSize: 0,
    }));
  }
  const gate = new LogGate({
    sinks,
    linesPerSecond: logging.lines_per_second,
    maxTextChars: logging.max_text_chars,
    summaryIntervalMs: logging.summary_seconds * 1000,
    clock,
  });
  const summaries = new RefusalSummary({ intervalMs: logging.summary_seconds * 1000, clock });
  await configure({
    reset: true,
    sinks: { gate: gate.sink },
    loggers: [
      { category: ["ghosting"], sinks: ["gate"], lowestLevel: logging.level },
      { category: ["logtape", "meta"], sinks: ["gate"], lowestLevel: "warning" },
    ],
  });
  const encoder = new TextEncoder();
  return {
    watch: (server) => summaries.watch(server),
    notice: (text) => void stderr.write(encoder.encode(`${text}\n`)),
    async close() {
      summaries.close();
      gate.close();
      await dispose(); // closes the file sink
      await stderr.flush(FLUSH_TIMEOUT_MS);
    },
  };
}
