/**
 * Logging as `[logging]` asks: standard error and/or a rotating file, through logtape.
 *
 * @module
 */
import { configure, getStreamSink, getTextFormatter, type Sink } from "@logtape/logtape";
import { getRotatingFileSink } from "@logtape/file";
import { dirname } from "node:path";
import type { LoggingSection } from "../config/mod.ts";

// Rotation keeps a server that runs for months from filling its disk.
const MAX_LOG_FILE_BYTES = 10 * 1024 * 1024;
const KEPT_LOG_FILES = 5;

/**
 * Routes the `ghosting` log categories to the sinks `[logging]` enables. Libraries embedding
 * the server may skip this and configure logtape themselves.
 */
export async function setupLogging(logging: LoggingSection): Promise<void> {
  const formatter = getTextFormatter({ timestamp: "date-time-tz", value: "bare" });
  const sinks: Record<string, Sink> = {};
  if (logging.console) sinks.console = getStreamSink(Deno.stderr.writable, { formatter });
  if (logging.file) {
    await Deno.mkdir(dirname(logging.filename), { recursive: true });
    sinks.file = getRotatingFileSink(logging.filename, {
      formatter,
      maxSize: MAX_LOG_FILE_BYTES,
      maxFiles: KEPT_LOG_FILES,
      bufferSize: 0,
    });
  }
  await configure({
    reset: true,
    sinks,
    loggers: [
      { category: ["ghosting"], sinks: Object.keys(sinks), lowestLevel: logging.level },
      { category: ["logtape", "meta"], sinks: Object.keys(sinks), lowestLevel: "warning" },
    ],
  });
}
