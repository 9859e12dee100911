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
import type { LoggingSection } from "../config/mod.ts";
import { BoundedWriter, type ByteWriter } from "./bounded_writer.ts";
import { boundedConsoleSink } from "./console_sink.ts";
import { LogGate } from "./log_gate.ts";
import { type RefusalSource, RefusalSummary } from "./refusal_summary.ts";

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
 */
export async function setupLogging(
  logging: LoggingSection,
  environment: LoggingEnvironment = {},
): Promise<Logging> {
  const clock = environment.clock ?? systemClock;
  const formatter = getTextFormatter({ timestamp: "date-time-tz", value: "bare" });
  const stderr = new BoundedWriter(environment.stderr ?? Deno.stderr, logging.console_buffer_bytes);
  const sinks: Sink[] = [];
  if (logging.console) sinks.push(boundedConsoleSink(stderr, formatter).sink);
  if (logging.file) {
    await Deno.mkdir(dirname(logging.filename), { recursive: true });
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
