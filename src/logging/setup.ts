/**
 * Logging as `[logging]` asks: standard error and/or a rotating file, through logtape.
 *
 * @module
 */
import { configure, getStreamSink, getTextFormatter, type Sink } from "@logtape/logtape";
import { getRotatingFileSink } from "@logtape/file";
import { dirname } from "node:path";
import { ConfigError, type LoggingSection } from "../config/mod.ts";

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

/**
 * Routes the `ghosting` log categories to the sinks `[logging]` enables. Libraries embedding
 * the server may skip this and configure logtape themselves.
 *
 * @throws {ConfigError} when `[logging] filename` cannot be written
 */
export async function setupLogging(logging: LoggingSection): Promise<void> {
  const formatter = getTextFormatter({ timestamp: "date-time-tz", value: "bare" });
  const sinks: Record<string, Sink> = {};
  if (logging.console) {
    const stream = getStreamSink(Deno.stderr.writable, { formatter });
    const sink: Sink & AsyncDisposable = (record) => {
      if (consoleLineWriter) consoleLineWriter(formatter(record));
      else stream(record);
    };
    sink[Symbol.asyncDispose] = () => stream[Symbol.asyncDispose]();
    sinks.console = sink;
  }
  if (logging.file) {
    await checkLogFile(logging.filename);
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
