/**
 * Reading a container's log (ctr.log, written by the monitor in the CRI
 * format: `<RFC3339Nano> stdout|stderr F|P <text>`). Partial records (P) are
 * joined with what follows on the same stream into one line.
 */
export interface LogLine {
  /** The time of the line's first record, as written (RFC3339 with nanoseconds). */
  time: string;
  stream: "stdout" | "stderr";
  /** The line, with its newline unless the container has not finished it. */
  text: string;
}

/** Parses complete records of `text` (up to its last newline); returns the lines and the bytes consumed. */
export function parseLog(text: string, carry: Map<string, LogLine> = new Map()): { lines: LogLine[]; consumed: number } {
  const end = text.lastIndexOf("\n") + 1;
  const lines: LogLine[] = [];
  let start = 0;
  while (start < end) {
    const nl = text.indexOf("\n", start);
    const rec = text.slice(start, nl);
    start = nl + 1;
    const s1 = rec.indexOf(" "), s2 = rec.indexOf(" ", s1 + 1), s3 = rec.indexOf(" ", s2 + 1);
    if (s1 < 0 || s2 < 0 || s3 < 0) continue; // not a record: skip it rather than fail the whole log
    const stream = rec.slice(s1 + 1, s2) === "stderr" ? "stderr" : "stdout";
    const tag = rec.slice(s2 + 1, s3);
    const body = rec.slice(s3 + 1);
    const open = carry.get(stream);
    const line = open ?? { time: rec.slice(0, s1), stream, text: "" };
    line.text += body;
    if (tag === "P") {
      carry.set(stream, line);
      continue;
    }
    carry.delete(stream);
    line.text += "\n";
    lines.push(line);
  }
  return { lines, consumed: Buffer.byteLength(text.slice(0, end)) };
}

/** Milliseconds since the epoch of a log time (nanoseconds are dropped). */
export function logTimeMs(time: string): number {
  return Date.parse(time.replace(/(\.\d{3})\d*Z$/, "$1Z"));
}
