import { describe, expect, test } from "bun:test";
import { formatTable, humanDuration, humanSize, shortId, timeAgo } from "../../src/cli/format.ts";

describe("Docker-style formatting", () => {
  test("humanSize() uses decimal units with 3 significant digits", () => {
    expect(humanSize(0)).toBe("0B");
    expect(humanSize(999)).toBe("999B");
    expect(humanSize(4261550)).toBe("4.26MB");
    expect(humanSize(10_240)).toBe("10.2kB");
    expect(humanSize(1_000_000)).toBe("1MB");
    expect(humanSize(77_800_000)).toBe("77.8MB");
    expect(humanSize(1.5e9)).toBe("1.5GB");
  });

  test("humanDuration() words durations like Docker", () => {
    const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;
    expect(humanDuration(500)).toBe("Less than a second");
    expect(humanDuration(s)).toBe("1 second");
    expect(humanDuration(45 * s)).toBe("45 seconds");
    expect(humanDuration(m + 5 * s)).toBe("About a minute");
    expect(humanDuration(2 * m)).toBe("2 minutes");
    expect(humanDuration(h)).toBe("About an hour");
    expect(humanDuration(5 * h)).toBe("5 hours");
    expect(humanDuration(3 * d)).toBe("3 days");
    expect(humanDuration(20 * d)).toBe("2 weeks");
    expect(humanDuration(90 * d)).toBe("3 months");
    expect(humanDuration(800 * d)).toBe("2 years");
  });

  test("timeAgo() appends 'ago' and says N/A for unknown times", () => {
    expect(timeAgo("2024-01-01T00:00:00Z", Date.parse("2024-01-01T00:02:00Z"))).toBe("2 minutes ago");
    expect(timeAgo(undefined)).toBe("N/A");
    expect(timeAgo("0001-01-01T00:00:00Z")).toBe("N/A");
  });

  test("formatTable() pads like Go's tabwriter (minwidth 10, padding 3)", () => {
    expect(formatTable([["REPOSITORY", "TAG", "SIZE"], ["busybox", "latest", "4.26MB"]])).toEqual([
      "REPOSITORY   TAG       SIZE",
      "busybox      latest    4.26MB",
    ]);
  });

  test("shortId() keeps 12 hex digits", () => {
    expect(shortId(`sha256:${"ab".repeat(32)}`)).toBe("abababababab");
  });
});
