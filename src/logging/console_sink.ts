/**
 * The console sink: log lines to standard error through a {@linkcode BoundedWriter}, so a slow,
 * stopped or vanished reader costs dropped lines (counted and reported), never memory, a
 * blocked loop or the process.
 *
 * @module
 */
import type { LogRecord, Sink, TextFormatter } from "@logtape/logtape";
import type { BoundedWriter } from "./bounded_writer.ts";
import { summaryRecord } from "./log_gate.ts";

const encoder = new TextEncoder();

/** A console sink that also says, once it can, how many lines it had to drop. */
export interface BoundedConsoleSink {
  /** The logtape sink. */
  sink: Sink;
  /** Lines dropped so far because the writer was full or broken. */
  readonly dropped: number;
}

/**
 * Formats each record and queues it on `writer`. When lines were dropped, the next line that
 * fits is preceded by one saying how many.
 */
export function boundedConsoleSink(
  writer: BoundedWriter,
  formatter: TextFormatter,
): BoundedConsoleSink {
  let dropped = 0;
  let reported = 0;
  const sink = (record: LogRecord) => {
    const line = encoder.encode(formatter(record));
    if (dropped > reported) {
      const notice = encoder.encode(formatter(summaryRecord(
        "{count} log lines were dropped: standard error could not keep up",
        { count: dropped - reported },
        "warning",
      )));
      if (writer.fits(notice.length + line.length)) {
        writer.write(notice);
        reported = dropped;
      }
    }
    if (!writer.write(line)) dropped++;
  };
  return {
    sink,
    get dropped() {
      return dropped;
    },
  };
}
